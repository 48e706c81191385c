#!/usr/bin/env python3
"""Times a 50-agent import: ten agents in each import format's real shape,
generated here, imported into an empty repository, then built.

    python3 bench/import_50.py PERSONAC_BINARY

Prints the import and build times in milliseconds (best of 3).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
TOPICS = ["billing", "deliveries", "returns", "accounts", "security", "onboarding", "pricing", "support", "legal", "hiring"]


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def sources(root):
    for i, topic in enumerate(TOPICS):
        write(root, f"claude/agents/{topic}-helper.md",
              f"---\nname: {topic}-helper\ndescription: Helps with {topic}. Use proactively.\ntools: Read, Grep\nmodel: sonnet\n---\n"
              f"You handle {topic} questions.\n\n## Workflow\n1. Read the request.\n2. Answer with sources.\n\n"
              f"## Template\n```\n# Ticket {{{{TICKET}}}}\n```\n\n## Never\n- Never guess about {topic}.\n")
    crew = "".join(f"{t}_analyst:\n  role: >\n    {{topic}} {t.title()} Analyst\n  goal: >\n    Report on {t} for {{topic}}.\n"
                   f"  backstory: >\n    You know {t} well.\n  verbose: true\n" for t in TOPICS)
    write(root, "crew/src/ops/config/agents.yaml", crew)
    for t in TOPICS:
        write(root, f"eliza/{t}.character.json", json.dumps({
            "name": f"{t.title()} Bot", "system": f"You talk about {t}.", "bio": [f"Knows {t}.", "Speaks plainly."],
            "topics": [t], "adjectives": ["calm"], "plugins": [], "settings": {"secrets": {"KEY": "x"}},
            "messageExamples": [[{"name": "{{name1}}", "content": {"text": f"What about {t}?"}},
                                 {"name": f"{t.title()} Bot", "content": {"text": "Here is what I know."}}]]}, indent=2))
        write(root, f"llm/{t}.yaml", f"name: {t}-concierge\nrole: Concierge for {{company}}\ncompany: Example Co\n"
              f"tone: Calm.\ncapabilities: [Answer {t} questions]\nconstraints: [Never share data]\ngreeting: Hello {{guest}}.\n")
        write(root, f"cards/{t}.json", json.dumps({"spec": "chara_card_v3", "spec_version": "3.0", "data": {
            "name": f"{t.title()} Guide", "description": f"{{{{char}}}} guides {{{{user}}}} through {t}.",
            "personality": "patient", "scenario": f"A question about {t}.", "first_mes": "Hello!", "mes_example": "",
            "creator_notes": f"Guide for {t}.", "system_prompt": "", "post_history_instructions": "", "alternate_greetings": [],
            "group_only_greetings": [], "tags": [t], "creator": "", "character_version": "1.0", "extensions": {}}}, indent=2))


def run(args, cwd):
    subprocess.run([BIN, "-q", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


best_import, best_build = 1e9, 1e9
for _ in range(3):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        repo = os.path.join(tmp, "repo")
        sources(src)
        os.makedirs(os.path.join(repo, "personas"))
        start = time.perf_counter()
        for fmt, path in [("claude-code", "claude"), ("crewai", "crew"), ("eliza", "eliza"), ("llm-persona", "llm"), ("character-card", "cards")]:
            run(["import", fmt, os.path.join(src, path)], repo)
        mid = time.perf_counter()
        run(["build"], repo)
        end = time.perf_counter()
        count = len(os.listdir(os.path.join(repo, "personas")))
        best_import = min(best_import, mid - start)
        best_build = min(best_build, end - mid)
print(f"50-agent import ({count} persona files): import {best_import * 1000:.0f} ms, then build {best_build * 1000:.0f} ms")
