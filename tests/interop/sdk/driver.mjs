// Drives pycodex through the real @openai/codex-sdk; prints one JSON result line.
// argv: <sdk module path> <json options>
const [sdkPath, raw] = process.argv.slice(2);
const opts = JSON.parse(raw);
const { Codex } = await import(sdkPath);

const codex = new Codex({
  codexPathOverride: opts.executable,
  config: opts.config,
  env: opts.env,
});
const threadOptions = {
  model: "gpt-5.5",
  sandboxMode: "danger-full-access",
  workingDirectory: opts.workdir,
  skipGitRepoCheck: true,
  approvalPolicy: "never",
};
const result = { turns: [] };
try {
  let thread = opts.resumeId ? codex.resumeThread(opts.resumeId, threadOptions) : codex.startThread(threadOptions);
  for (const prompt of opts.prompts) {
    if (opts.streamed) {
      const { events } = await thread.runStreamed(prompt);
      const seen = [];
      for await (const ev of events) seen.push(ev);
      result.turns.push({ events: seen });
    } else {
      const turn = await thread.run(prompt);
      result.turns.push({ items: turn.items, finalResponse: turn.finalResponse, usage: turn.usage });
    }
  }
  result.threadId = thread.id;
} catch (err) {
  result.error = String(err && err.message ? err.message : err);
}
console.log(JSON.stringify(result));
