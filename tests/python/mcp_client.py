"""personac serve, driven by the reference MCP client (the PyPI package `mcp`).

    python tests/python/mcp_client.py PERSONAC_BINARY REPOSITORY

.ci/run installs `mcp` in a virtualenv and runs this against the example
repository. It checks discovery (tools, schemas), the manifest-first flow,
on-demand fetches, a compiled view, personas as prompts, and an error result,
then prints the
closing line `N passed, 0 failed`.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

checks = []


def check(name, condition, detail=""):
    checks.append((name, bool(condition), detail))


async def main(binary, repo):
    params = StdioServerParameters(command=binary, args=["-C", repo, "serve"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check("server names itself", init.serverInfo.name == "personac", init.serverInfo)

            tools = {t.name: t for t in (await session.list_tools()).tools}
            check("the read tools are offered", {
                "get_persona_manifest", "get_agent_persona", "get_agent_part", "get_agent_trait",
                "get_agent_skill", "get_agent_guardrail", "compile_persona", "list_agent_personas",
                "list_agent_parts", "list_agent_traits", "list_character_arcs"} == set(tools), sorted(tools))
            check("write tools need --allow-write", "add_persona_part" not in tools)
            schema = tools["get_agent_persona"].inputSchema
            check("arguments have a JSON Schema", schema["type"] == "object" and "name" in schema["properties"], schema)

            personas = json.loads((await session.call_tool("list_agent_personas", {})).content[0].text)
            names = [p["name"] for p in personas["items"]]
            check("personas are listed", "maya" in names and "aria" in names, names)
            check("abstract bases are not served", "support-base" not in names, names)

            manifest = json.loads((await session.call_tool("get_persona_manifest", {"name": "maya"})).content[0].text)
            check("the manifest lists parts", any(p["type"] == "identity" for p in manifest["parts"]), manifest["parts"])
            check("the manifest says what to fetch", "get_agent_part" in manifest["on_demand_tools"])

            part = manifest["parts"][0]["name"]
            fetched = json.loads((await session.call_tool("get_agent_part", {"name": part})).content[0].text)
            check("a part is fetched on demand", fetched["name"] == part and fetched["content"], fetched)

            rule = json.loads((await session.call_tool("get_agent_guardrail", {"name": manifest["guardrails"][0]})).content[0].text)
            check("a guardrail comes with its severity", rule["severity"] in ("low", "medium", "high", "critical"), rule)
            limit = json.loads((await session.call_tool("get_agent_guardrail", {"name": "refund-limit", "persona": "maya"})).content[0].text)
            check("a fetched text is rendered, never a raw template", "$150" in limit["content"] and "{{" not in limit["content"], limit)
            check("the manifest carries runtime settings", manifest.get("model") and manifest.get("tools"), manifest)

            view = json.loads((await session.call_tool("get_agent_persona", {
                "name": "maya", "detail": True, "channel": "voice", "vars": {"user_name": "Ada"}})).content[0].text)
            check("a channel view with runtime vars", "Ada" in view["text"] and view["channel"] == "voice", view["text"][:200])

            annotated = json.loads((await session.call_tool("get_agent_persona", {
                "name": "maya", "detail": True, "annotate": True})).content[0].text)
            lines = annotated.get("lines", [])
            check("annotate gives each line of the view its source",
                  [l["text"] for l in lines] == annotated["text"].rstrip("\n").split("\n") and any(l.get("file", "").startswith("parts/") and l.get("line") for l in lines), lines[:3])

            staged = json.loads((await session.call_tool("get_agent_persona", {"name": "aria", "stage": "trial"})).content[0].text)
            check("an arc stage view", staged["stage"] == "trial", staged["stage"])

            compiled = json.loads((await session.call_tool("compile_persona", {"name": "sales-sam"})).content[0].text)
            check("compile_persona gives both views", compiled["summary"]["tokens"] > 0 and compiled["detail"]["tokens"] > 0)

            by_persona = json.loads((await session.call_tool("get_persona_manifest", {"persona": "maya"})).content[0].text)
            check("a persona is named by `persona` as well as `name`", by_persona["id"] == manifest["id"], by_persona.get("id"))

            prompts = {p.name: p for p in (await session.list_prompts()).prompts}
            check("each concrete persona is a prompt", "maya" in prompts and "support-base" not in prompts, sorted(prompts))
            check("each channel is a prompt", "maya:voice" in prompts, sorted(prompts))
            arguments = {a.name: a for a in prompts["maya"].arguments or []}
            check("a prompt's arguments are its runtime variables", "user_name" in arguments, arguments)
            got = await session.get_prompt("maya:voice", {"user_name": "Ada"})
            text = got.messages[0].content.text
            check("a prompt is the detail view, filled", "Ada" in text and "{{ user_name }}" not in text, text[:200])

            missing = await session.call_tool("get_agent_part", {"name": "tone-wrm"})
            check("an unknown name is an error result with a hint", missing.isError and "tone-warm" in missing.content[0].text, missing)

    failed = [c for c in checks if not c[1]]
    for name, ok, detail in checks:
        print(("ok      " if ok else "FAILED  ") + name + ("" if ok else f": {detail}"))
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
