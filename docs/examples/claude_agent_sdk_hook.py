"""Claude Agent SDK (Python) + safeclaw serve: a PreToolUse hook callback
sends the hook input, unchanged, to safeclaw's /v1/hook/claude and returns
safeclaw's answer (what `safeclaw hook claude` prints for a command hook).
When safeclaw cannot answer, the callback itself returns a deny.

    safeclaw serve &
    pip install claude-agent-sdk && python claude_agent_sdk_hook.py
"""

import asyncio
import sys

from claude_agent_sdk import ClaudeAgentOptions, HookMatcher, query

from safeclaw_client import call


async def safeclaw_hook(input_data: dict, tool_use_id, context) -> dict:
    try:
        status, answer = await asyncio.to_thread(call, "POST", "/v1/hook/claude", input_data, 25.0)
        if status == 200 and isinstance(answer, dict):
            return answer
        why = (answer or {}).get("message") if isinstance(answer, dict) else None
        why = why or f"HTTP {status}"
    except Exception as err:
        why = f"unreachable ({err})"
    # Fail closed in the callback: a deny in Claude's own words.
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": f"safeclaw: blocked: {why}",
        }
    }


async def main(prompt: str) -> None:
    options = ClaudeAgentOptions(hooks={"PreToolUse": [HookMatcher(hooks=[safeclaw_hook], timeout=30)]})
    async for message in query(prompt=prompt, options=options):
        if type(message).__name__ == "ResultMessage":
            print(message.subtype, getattr(message, "permission_denials", None))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "Start a web server with python3 -m http.server 8080."))
