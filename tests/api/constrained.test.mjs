// Constrained output through the official `openai` client: tool calls forced by tool_choice
// ("required" and a named function), plain and streamed, and response_format json_schema /
// json_object. A random-weight model writes garbage unless the server constrains it, so every
// tool call parsing and every argument satisfying its schema is the constraint's doing.
//
// A random model with parallel tool calls allowed writes call after call until max_tokens, so
// the tests that need a finished answer set parallel_tool_calls: false.
//
// These tests were written before constrained decoding was wired: without it the server answers
// 400 "constrained output is not available in this build" and a failure reads
// [WAITS ON FEATURE: constrained decoding (not in this build)]; with it, a failure is a bug.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MODEL_ID, NO_THINK, collect, featureTest, schemaProblems, startServer } from './lib/harness.mjs';

let server;
let client;

// Is constrained decoding in this build? (Without it: 400 "... not available in this build".)
async function constrainedPresent() {
  try {
    await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }],
      max_tokens: 1, response_format: { type: 'json_object' }, ...NO_THINK });
    return true;
  } catch (e) {
    return !(e.status === 400 && /not available in this build/.test(e.message));
  }
}
const constrainedTest = (feature, fn) => featureTest(feature, constrainedPresent, fn);
const FEATURE = 'constrained decoding';
const ONE = { parallel_tool_calls: false };

before(async () => {
  // A small thinking budget: a random model never closes <think> by itself.
  server = await startServer({ name: 'constrained', args: ['--thinking-budget', '8'] });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const WEATHER = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 12 },
    days: { type: 'integer', minimum: 1, maximum: 7 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'days', 'unit'],
  additionalProperties: false,
};
const TIME = {
  type: 'object',
  properties: { zone: { type: 'string', enum: ['UTC', 'CET', 'PST'] }, precise: { type: 'boolean' } },
  required: ['zone', 'precise'],
  additionalProperties: false,
};
const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Forecast', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'Clock', parameters: TIME } },
];
const SCHEMAS = { get_weather: WEATHER, get_time: TIME };
const ASK = [{ role: 'user', content: 'What is the weather in Paris for 3 days, and the time?' }];

// Every call names a tool of the request, has an id, and its arguments parse and validate.
function checkCalls(calls, { only } = {}) {
  assert.ok(Array.isArray(calls) && calls.length >= 1, `tool_calls: ${JSON.stringify(calls)}`);
  const ids = new Set();
  for (const call of calls) {
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_/);
    ids.add(call.id);
    const name = call.function.name;
    assert.ok(name in SCHEMAS, `unknown tool ${name}`);
    if (only) assert.equal(name, only);
    let args;
    assert.doesNotThrow(() => { args = JSON.parse(call.function.arguments); },
      `arguments are JSON: ${call.function.arguments}`);
    assert.deepEqual(schemaProblems(SCHEMAS[name], args), [], `arguments ${call.function.arguments}`);
  }
  assert.equal(ids.size, calls.length, 'tool call ids are unique');
}

describe('tool calls', () => {
  for (const seed of [1, 2, 3]) {
    test(`tool_choice "required" -> a valid tool call (seed ${seed})`, constrainedTest(FEATURE, async () => {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
        tool_choice: 'required', max_tokens: 400, seed, temperature: 1, ...ONE, ...NO_THINK });
      const c = r.choices[0];
      assert.equal(c.finish_reason, 'tool_calls', `finish_reason, message ${JSON.stringify(c.message)}`);
      checkCalls(c.message.tool_calls);
      // Content, if any, is not a leftover of the calls' markup.
      assert.ok(!(c.message.content ?? '').includes('<tool_call>'), `content ${c.message.content}`);
    }));
  }

  test('parallel_tool_calls false -> exactly one call', constrainedTest(FEATURE, async () => {
    for (const seed of [4, 5]) {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
        tool_choice: 'required', max_tokens: 400, seed, ...ONE, ...NO_THINK });
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      checkCalls(r.choices[0].message.tool_calls);
      assert.equal(r.choices[0].message.tool_calls.length, 1);
    }
  }));

  test('parallel calls cut by max_tokens: every finished call valid, content only what the model wrote',
    constrainedTest(FEATURE, async () => {
      // Parallel calls allowed: a random model writes calls until the limit. Each finished call
      // must be valid; the unfinished one may come back as content (openai_response.h), but
      // only as the text the model generated (the logprob tokens spell everything generated).
      const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object',
        properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] } } }];
      let cut = 0;
      for (const seed of [2, 3, 4, 6]) {
        const r = await client.chat.completions.create({ model: MODEL_ID, tools, tool_choice: 'required',
          messages: [{ role: 'user', content: 'hi' }], max_tokens: 60, seed, temperature: 1,
          logprobs: true, ...NO_THINK });
        const c = r.choices[0];
        for (const call of c.message.tool_calls ?? []) JSON.parse(call.function.arguments);
        const generated = Buffer.from(c.logprobs.content.flatMap((t) => t.bytes)).toString();
        const content = c.message.content ?? '';
        if (c.finish_reason !== 'length' || content === '') continue;
        cut++;
        assert.ok(generated.endsWith(content),
          `seed ${seed}: content ${JSON.stringify(content.slice(-60))} is not the tail of the ` +
          `generated text ${JSON.stringify(generated.slice(-60))}`);
      }
      assert.ok(cut > 0, 'no request was cut inside a call: the test checked nothing');
    }));

  test('a named function -> calls of that function only', constrainedTest(FEATURE, async () => {
    for (const name of ['get_time', 'get_weather']) {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
        tool_choice: { type: 'function', function: { name } }, max_tokens: 400, seed: 9, ...ONE, ...NO_THINK });
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      checkCalls(r.choices[0].message.tool_calls, { only: name });
    }
  }));

  test('streamed: chunks carry the calls, the stream helper assembles them', constrainedTest(FEATURE, async () => {
    const params = { model: MODEL_ID, messages: ASK, tools: TOOLS, tool_choice: 'required',
      max_tokens: 400, seed: 21, temperature: 1, ...ONE, ...NO_THINK };
    const plain = await client.chat.completions.create(params);
    const chunks = await collect(await client.chat.completions.create({ ...params, stream: true }));
    // Reassemble by hand, as OpenAI documents the deltas.
    const calls = [];
    for (const ch of chunks) {
      for (const tc of ch.choices[0]?.delta?.tool_calls ?? []) {
        if (tc.id) calls[tc.index] = { id: tc.id, type: tc.type, function: { name: tc.function.name, arguments: '' } };
        calls[tc.index].function.arguments += tc.function?.arguments ?? '';
      }
    }
    checkCalls(calls);
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finishes, ['tool_calls']);
    // Same seed: the same calls as the plain request (ids aside).
    assert.deepEqual(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
      plain.choices[0].message.tool_calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]));
    // The client's helper.
    const runner = client.chat.completions.stream({ ...params, seed: 22 });
    const done = [];
    runner.on('tool_calls.function.arguments.done', (e) => done.push(e));
    const final = await runner.finalChatCompletion();
    checkCalls(final.choices[0].message.tool_calls);
    assert.equal(done.length, final.choices[0].message.tool_calls.length);
    for (const e of done) assert.deepEqual(schemaProblems(SCHEMAS[e.name], e.parsed_arguments ?? JSON.parse(e.arguments)), []);
  }));

  test('streamed named function', constrainedTest(FEATURE, async () => {
    const final = await client.chat.completions.stream({ model: MODEL_ID, messages: ASK, tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 400,
      seed: 5, ...ONE, ...NO_THINK }).finalChatCompletion();
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    checkCalls(final.choices[0].message.tool_calls, { only: 'get_weather' });
  }));

  test('a tool round trip: call, result, next turn', constrainedTest(FEATURE, async () => {
    const first = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } }, max_tokens: 400, ...ONE, ...NO_THINK });
    const msg = first.choices[0].message;
    checkCalls(msg.tool_calls, { only: 'get_time' });
    const messages = [...ASK, msg,
      ...msg.tool_calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: '{"time":"12:00"}' }))];
    const second = await client.chat.completions.create({ model: MODEL_ID, messages, tools: TOOLS,
      tool_choice: 'required', max_tokens: 400, ...ONE, ...NO_THINK });
    checkCalls(second.choices[0].message.tool_calls);
  }));

  // tool_choice "auto" (the default with tools): the text is free, but a call the model starts
  // with <tool_call> is held to the tools' grammar. A random model almost never starts one by
  // itself, so logit_bias pushes it to (a bias cannot lift a token the constraint masked, so it
  // does not fight the grammar inside the call); without the constraint the body after
  // <tool_call> would be random tokens.
  const TOOL_CALL = 151657;  // Qwen3's <tool_call> and <|im_end|>
  const IM_END = 151645;
  test('tool_choice "auto": a call the model starts is valid', constrainedTest(FEATURE, async () => {
    for (const seed of [1, 2, 3]) {
      // After its one call (parallel_tool_calls false) the model may not start another, and
      // ends.
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
        max_tokens: 400, seed, temperature: 1, logit_bias: { [TOOL_CALL]: 100, [IM_END]: 50 },
        ...ONE, ...NO_THINK });
      const c = r.choices[0];
      assert.equal(c.finish_reason, 'tool_calls', `finish_reason, message ${JSON.stringify(c.message)}`);
      checkCalls(c.message.tool_calls);
      assert.equal(c.message.tool_calls.length, 1);
    }
    // Parallel calls: call after call until max_tokens; every finished one is valid.
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
      max_tokens: 150, seed: 4, temperature: 1, logit_bias: { [TOOL_CALL]: 100 }, ...NO_THINK });
    checkCalls(r.choices[0].message.tool_calls);
  }));

  test('with thinking on, the call comes out valid and the thinking stays out of content', constrainedTest(FEATURE, async () => {
    // Qwen3's template leaves thinking on by default and does not open <think> in the prompt.
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, tools: TOOLS,
      tool_choice: 'required', max_tokens: 400, seed: 3, ...ONE });
    const m = r.choices[0].message;
    assert.equal(r.choices[0].finish_reason, 'tool_calls', JSON.stringify(m));
    checkCalls(m.tool_calls);
    assert.ok(!(m.content ?? '').includes('</think>'), `content ${JSON.stringify(m.content)}`);
  }));
});

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 16 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 3 },
    member: { type: 'boolean' },
  },
  required: ['name', 'age', 'tags', 'member'],
  additionalProperties: false,
};

describe('response_format', () => {
  test('json_schema: the content parses and matches the schema', constrainedTest(FEATURE, async () => {
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, max_tokens: 300,
        seed, temperature: 1, ...NO_THINK,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } } });
      const c = r.choices[0];
      assert.equal(c.finish_reason, 'stop', `finish_reason; content ${JSON.stringify(c.message.content)}`);
      let v;
      assert.doesNotThrow(() => { v = JSON.parse(c.message.content); }, `content ${c.message.content}`);
      assert.deepEqual(schemaProblems(PERSON, v), []);
    }
  }));

  test('json_schema streamed: the reassembled content parses and matches', constrainedTest(FEATURE, async () => {
    const chunks = await collect(await client.chat.completions.create({ model: MODEL_ID, messages: ASK,
      max_tokens: 300, seed: 4, stream: true, ...NO_THINK,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON } } }));
    const text = chunks.flatMap((c) => c.choices.map((x) => x.delta?.content ?? '')).join('');
    assert.deepEqual(schemaProblems(PERSON, JSON.parse(text)), []);
  }));

  test('json_object: the content is a JSON object', constrainedTest(FEATURE, async () => {
    // A random model may write one long string; the test only needs a complete object.
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, max_tokens: 150,
      seed: 5, ...NO_THINK, response_format: { type: 'json_object' } });
    const c = r.choices[0];
    if (c.finish_reason === 'length') {
      // Unfinished: it must still be a prefix of an object.
      assert.match(c.message.content, /^\s*\{/);
    } else {
      const v = JSON.parse(c.message.content);
      assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v));
    }
  }));

  test('json_schema with thinking on: content is the JSON, the thinking is not in it', constrainedTest(FEATURE, async () => {
    // The Qwen3 template leaves thinking on by default. Whatever the model thinks, the content
    // the client gets must be the JSON alone (reasoning, if any, in reasoning_content).
    for (const seed of [1, 2]) {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages: ASK, max_tokens: 300,
        seed, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON } } });
      const content = r.choices[0].message.content;
      let v;
      assert.doesNotThrow(() => { v = JSON.parse(content); }, `content is not JSON: ${JSON.stringify(content)}`);
      assert.deepEqual(schemaProblems(PERSON, v), []);
    }
  }));

  test('an unsupported schema keyword is a 400 naming the schema path', constrainedTest(FEATURE, async () => {
    await assert.rejects(client.chat.completions.create({ model: MODEL_ID, messages: ASK, max_tokens: 10,
      response_format: { type: 'json_schema', json_schema: { name: 'x',
        schema: { type: 'object', patternProperties: { '^a': { type: 'string' } } } } } }), (e) => {
      assert.equal(e.status, 400, e.message);
      assert.match(e.param ?? '', /response_format/);
      assert.match(e.message, /patternProperties/);
      return true;
    });
  }));
});
