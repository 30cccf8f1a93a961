// OpenAI Agents SDK (JS) + safeclaw serve: every function tool call is
// decided by safeclaw's policy before it runs.
//
//   safeclaw serve &                      # Unix socket in safeclaw's state dir
//   npm i @openai/agents zod && npx tsx openai-agents.ts
//
// Two hooks, as the SDK offers them:
//   - needsApproval asks safeclaw first; an "ask" pauses the run, and the
//     loop in main() waits for a person to answer with `safeclaw approvals
//     approve ID` (or deny), then approves or rejects the paused call;
//   - an input guardrail, right before the tool runs, turns safeclaw's deny
//     into the tool result the model sees, so the model can adapt. After a
//     person approved, it asks safeclaw again, which allows the same call
//     once.
// Any failure to reach safeclaw denies.
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Agent, run, tool, defineToolInputGuardrail, ToolGuardrailFunctionOutputFactory as Guard } from '@openai/agents';
import { z } from 'zod';

type Decision = {
  result: { decision: 'allow' | 'deny' | 'ask'; reason: string; rule: string | null; ask: { approval_id?: string } | null };
  message?: string;
};

// Where safeclaw listens: SAFECLAW_URL (+ SAFECLAW_TOKEN) for `serve --listen`,
// else the Unix socket.
const stateDir = process.env.SAFECLAW_HOME
  ? join(process.env.SAFECLAW_HOME, 'state')
  : join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'safeclaw');
const socketPath = process.env.SAFECLAW_SOCKET ?? join(stateDir, 'serve.sock');

function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = process.env.SAFECLAW_URL ? new URL(path, process.env.SAFECLAW_URL) : undefined;
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(url ? { host: url.hostname, port: url.port, path: url.pathname + url.search } : { socketPath, path }),
        method,
        timeout: 300_000,
        headers: {
          'Content-Type': 'application/json',
          ...(process.env.SAFECLAW_TOKEN ? { Authorization: `Bearer ${process.env.SAFECLAW_TOKEN}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
    req.end(data);
  });
}

// decide asks safeclaw about one tool call; it never throws: any error denies.
export async function decide(tool: string, input: unknown): Promise<Decision> {
  try {
    // A shell tool is best sent as {command}: safeclaw analyses the command.
    // Other tools go as {tool, input}; unknown tool names are denied unless
    // the policy allows tool.<name>.
    const body = tool === 'run_shell' ? { command: (input as any).command } : { tool, input };
    const { status, json } = await call('POST', '/v1/decide', { agent: 'openai-agents', cwd: process.cwd(), ...body });
    if (status === 200 && ['allow', 'deny', 'ask'].includes(json?.result?.decision)) return json;
    return denied(json?.message ?? `safeclaw answered HTTP ${status}`);
  } catch (err) {
    return denied(`safeclaw is unreachable (${err})`);
  }
}

function denied(why: string): Decision {
  return { result: { decision: 'deny', reason: why, rule: null, ask: null }, message: `Denied: ${why}` };
}

// safeclaw's answer per call id, from needsApproval to the guardrail.
const decisions = new Map<string, Decision>();

const runShell = tool({
  name: 'run_shell',
  description: 'Run a shell command in the project directory and return its output.',
  parameters: z.object({ command: z.string() }),
  needsApproval: async (_ctx, { command }, callId) => {
    const d = await decide('run_shell', { command });
    if (callId) decisions.set(callId, d);
    return d.result.decision === 'ask'; // deny is answered by the guardrail
  },
  inputGuardrails: [
    defineToolInputGuardrail({
      name: 'safeclaw',
      run: async ({ toolCall }) => {
        let d = decisions.get(toolCall.callId);
        decisions.delete(toolCall.callId);
        if (!d || d.result.decision === 'ask') {
          let args: unknown;
          try {
            args = JSON.parse(toolCall.arguments);
          } catch {
            return Guard.rejectContent('Denied: the tool arguments are not JSON.');
          }
          d = await decide(toolCall.name, args);
        }
        return d.result.decision === 'allow' ? Guard.allow() : Guard.rejectContent(d.message ?? `Denied: ${d.result.reason}`);
      },
    }),
  ],
  execute: async ({ command }) => execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', timeout: 60_000 }),
});

// waitForPerson long-polls safeclaw until the approval request is answered.
async function waitForPerson(id: string | undefined): Promise<boolean> {
  if (!id) return false;
  for (;;) {
    const { status, json } = await call('GET', `/v1/approvals/${encodeURIComponent(id)}?wait=60s`).catch(() => ({ status: 0, json: null }));
    if (status !== 200) return false;
    if (json.decision !== 'ask') return json.decision === 'allow';
  }
}

export async function main(prompt: string) {
  const agent = new Agent({ name: 'dev', instructions: 'You are a careful developer.', tools: [runShell] });
  let result = await run(agent, prompt);
  while (result.interruptions.length > 0) {
    for (const item of result.interruptions) {
      const id = decisions.get((item.rawItem as any).callId)?.result.ask?.approval_id;
      console.error(`safeclaw: waiting for a person: safeclaw approvals approve ${id}`);
      if (await waitForPerson(id)) result.state.approve(item);
      else result.state.reject(item, { message: 'A person did not approve this call.' });
    }
    result = await run(agent, result.state);
  }
  return result.finalOutput;
}

if (process.argv[1]?.endsWith('openai-agents.ts')) {
  main(process.argv[2] ?? 'Start a web server on port 8080 with python3 -m http.server.').then(
    (out) => console.log(out),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
