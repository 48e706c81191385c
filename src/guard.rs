//! The last line of defence: a panic inside a step that runs user-controlled
//! input (a template engine, a tokenizer) is caught where that step is
//! called and becomes an error of that one text, persona or request, never a
//! crash. Bounds on the input come first (fuel, output size, filter
//! arguments); this catches what they miss, such as a bug in a dependency.
//!
//! While a call is guarded, the panic hook stays quiet: the caller reports
//! the panic as a diagnostic. Anywhere else a panic is still printed as the
//! bug it is.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many guarded calls this thread is inside.
    static GUARDED: Cell<usize> = const { Cell::new(0) };
    /// The message of the last panic caught on this thread.
    static MESSAGE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs the panic hook that keeps guarded panics quiet (once per process).
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) > 0 {
                let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
                    (Some(s), _) => s.to_string(),
                    (_, Some(s)) => s.clone(),
                    _ => "unknown panic".to_string(),
                };
                let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
                MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{message}{place}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err` with the panic's message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|_| MESSAGE.with(|m| m.borrow_mut().take()).unwrap_or_else(|| "unknown panic".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        assert_eq!(catch(|| 1 + 1), Ok(2));
        let caught = catch(|| -> u32 { panic!("boom {}", 7) });
        assert!(caught.as_ref().is_err_and(|m| m.starts_with("boom 7 at ")), "{caught:?}");
        // Nested guards unwind to the innermost one.
        let outer = catch(|| catch(|| -> u32 { panic!("inner") }).is_err());
        assert_eq!(outer, Ok(true));
    }
}
