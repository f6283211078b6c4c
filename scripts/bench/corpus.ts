/**
 * Realistic LLM responses: English technical prose with code blocks (Bun's own documentation,
 * shipped in bun-types), wrapped in a chat.completion JSON document. Synthetic repeated text
 * compresses far better than real answers and would flatter every codec.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.ts";

let corpus: string | undefined;

function loadCorpus(): string {
  if (corpus !== undefined) return corpus;
  const dir = join(ROOT, "node_modules/bun-types/docs");
  const files: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(join(path, entry.name));
      else if (entry.name.endsWith(".mdx") || entry.name.endsWith(".md")) files.push(join(path, entry.name));
    }
  };
  walk(dir);
  corpus = files.map((file) => readFileSync(file, "utf8")).join("\n\n");
  return corpus;
}

/** A chat.completion document of about `bytes` bytes; `index` picks a different slice of prose. */
export function llmResponse(bytes: number, index = 0): Record<string, unknown> {
  const text = loadCorpus();
  const envelope = (content: string) => ({
    id: `chatcmpl-${index}`,
    object: "chat.completion",
    created: 1_764_000_000 + index,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 812, completion_tokens: Math.round(bytes / 4), total_tokens: 812 + Math.round(bytes / 4) },
  });
  const overhead = JSON.stringify(envelope("")).length;
  const start = (index * 7919 * 13) % Math.max(1, text.length - bytes * 2);
  let content = text.slice(start, start + Math.max(0, bytes - overhead));
  while (JSON.stringify(envelope(content)).length > bytes && content.length > 0) content = content.slice(0, -Math.max(1, Math.ceil((JSON.stringify(envelope(content)).length - bytes) / 2)));
  return envelope(content);
}
