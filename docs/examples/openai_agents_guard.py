"""OpenAI Agents SDK (Python) + safeclaw serve.

    safeclaw serve &
    pip install openai-agents && python openai_agents_guard.py

needs_approval asks safeclaw first: an "ask" pauses the run, and main()
waits for a person to answer (`safeclaw approvals approve ID`), then
approves or rejects the paused call. The tool input guardrail runs right
before the tool: safeclaw's deny becomes the tool result the model sees;
after a person approved, it asks safeclaw again, which allows that same
call once. Any failure to reach safeclaw denies.
"""

import asyncio
import json
import subprocess
import sys

from agents import (
    Agent,
    RunContextWrapper,
    Runner,
    ToolGuardrailFunctionOutput,
    ToolInputGuardrailData,
    function_tool,
    tool_input_guardrail,
)

from safeclaw_client import decide, wait_for_person

# safeclaw's answer per call id, from needs_approval to the guardrail.
decisions: dict[str, dict] = {}


async def ask_safeclaw(ctx: RunContextWrapper, params: dict, call_id: str) -> bool:
    d = await asyncio.to_thread(decide, "run_shell", params, "openai-agents")
    decisions[call_id] = d
    return d["result"]["decision"] == "ask"  # deny is answered by the guardrail


@tool_input_guardrail
async def safeclaw_guard(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
    ctx = data.context
    d = decisions.pop(ctx.tool_call_id, None)
    if d is None or d["result"]["decision"] == "ask":
        try:
            args = json.loads(ctx.tool_arguments or "{}")
        except ValueError:
            return ToolGuardrailFunctionOutput.reject_content("Denied: the tool arguments are not JSON.")
        d = await asyncio.to_thread(decide, ctx.tool_name, args, "openai-agents")
    if d["result"]["decision"] == "allow":
        return ToolGuardrailFunctionOutput.allow()
    return ToolGuardrailFunctionOutput.reject_content(d.get("message") or "Denied: " + d["result"]["reason"])


@function_tool(needs_approval=ask_safeclaw, tool_input_guardrails=[safeclaw_guard])
def run_shell(command: str) -> str:
    """Run a shell command in the project directory and return its output."""
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


async def main(prompt: str) -> str:
    agent = Agent(name="dev", instructions="You are a careful developer.", tools=[run_shell])
    result = await Runner.run(agent, prompt)
    while result.interruptions:
        state = result.to_state()
        for item in result.interruptions:
            d = decisions.get(getattr(item.raw_item, "call_id", ""), {})
            approval_id = ((d.get("result") or {}).get("ask") or {}).get("approval_id")
            print(f"safeclaw: waiting for a person: safeclaw approvals approve {approval_id}", file=sys.stderr)
            if await asyncio.to_thread(wait_for_person, approval_id):
                state.approve(item)
            else:
                state.reject(item)
        result = await Runner.run(agent, state)
    return result.final_output


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "Start a web server with python3 -m http.server 8080.")))
