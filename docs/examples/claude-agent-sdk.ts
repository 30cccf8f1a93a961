// Claude Agent SDK (TypeScript) + safeclaw serve: a PreToolUse hook callback
// sends the hook input, unchanged, to safeclaw's /v1/hook/claude and returns
// safeclaw's answer, exactly what `safeclaw hook claude` prints for a
// command hook. onFailure: 'block' blocks the tool whenever the callback
// throws (safeclaw down, a timeout, an HTTP error).
//
//   safeclaw serve &
//   npm i @anthropic-ai/claude-agent-sdk && npx tsx claude-agent-sdk.ts
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { query, type HookCallback, type HookJSONOutput } from '@anthropic-ai/claude-agent-sdk';

const stateDir = process.env.SAFECLAW_HOME
  ? join(process.env.SAFECLAW_HOME, 'state')
  : join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'safeclaw');
const socketPath = process.env.SAFECLAW_SOCKET ?? join(stateDir, 'serve.sock');

// safeclawHook posts the hook input to safeclaw; anything but a 200 with a
// JSON body throws, which onFailure: 'block' turns into a blocked tool.
const safeclawHook: HookCallback = (input, _toolUseID, { signal }) =>
  new Promise<HookJSONOutput>((resolve, reject) => {
    const req = request(
      { socketPath, path: '/v1/hook/claude', method: 'POST', signal, timeout: 25_000, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`safeclaw: HTTP ${res.statusCode}: ${text}`));
          try {
            resolve(JSON.parse(text) as HookJSONOutput);
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('safeclaw: timeout'))).on('error', reject);
    req.end(JSON.stringify(input));
  });

export async function main(prompt: string) {
  for await (const message of query({
    prompt,
    options: {
      hooks: {
        // Every tool call, and the permission prompts Claude would show.
        PreToolUse: [{ hooks: [safeclawHook], timeout: 30, onFailure: 'block' }],
        PermissionRequest: [{ hooks: [safeclawHook], timeout: 30, onFailure: 'block' }],
      },
      // A second line: when Claude would ask and nobody is there, deny.
      canUseTool: async () => ({ behavior: 'deny', message: 'No person is available to approve this.' }),
    },
  })) {
    if (message.type === 'result') {
      console.log(message.subtype, JSON.stringify(message.permission_denials));
    }
  }
}

if (process.argv[1]?.endsWith('claude-agent-sdk.ts')) {
  main(process.argv[2] ?? 'Start a web server on port 8080 with python3 -m http.server.').catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
