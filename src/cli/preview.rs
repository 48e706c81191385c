//! `personac preview`: serves the live preview page and prints its address.

use clap::Args;

use super::ctx::{Ctx, Failure, Outcome};

#[derive(Args)]
#[command(after_help = "Examples:
  personac preview                  serve the page on a free port; open the URL it prints
  personac preview --port 4000 --open

The page lists the personas, shows each view line by line beside its source (file:line, definition,
layer), its parts' tokens against the budget, and follows every save. It listens on 127.0.0.1 only,
refuses requests for any other host (DNS rebinding), and writes nothing.")]
pub struct PreviewArgs {
    /// The port on 127.0.0.1 (0: any free port)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Open the page in the default browser
    #[arg(long)]
    open: bool,
    /// Poll for changes instead of using the platform's file watcher
    #[arg(long)]
    poll: bool,
}

pub(super) fn preview(ctx: &Ctx, args: PreviewArgs) -> Outcome {
    let mut ready = |addr: std::net::SocketAddr| {
        let url = format!("http://127.0.0.1:{}/", addr.port());
        errln!("Preview {url}");
        if args.open {
            open(&url);
        }
    };
    crate::preview::preview(&ctx.root, args.port, args.poll, &mut ready).map_err(Failure::Usage)
}

/// The platform's opener, in the background; failing to open is not an error.
fn open(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        errln!("cannot open a browser; open {url}");
    }
}
