/**
 * The documented Discord limits a bot trips over in practice, checked the way Discord
 * does: a violation is a 400 "Invalid Form Body" (code 50035) naming the field, so an
 * end-to-end test fails where production would.
 *
 * Messages: content ≤ 2000 characters; ≤ 10 embeds; embed title ≤ 256, description
 * ≤ 4096, ≤ 25 fields, field name ≤ 256 and value ≤ 1024 (both non-empty), footer ≤ 2048,
 * author name ≤ 256, all embed text ≤ 6000; ≤ 5 action rows of ≤ 5 buttons; custom_id
 * 1–100 characters and unique per message; button label ≤ 80; ≤ 10 attachments; a message
 * needs content, an embed, a component or a file.
 * Commands: name 1–32 lowercase characters of [-_ letters digits]; chat-input description
 * 1–100; ≤ 25 options, required before optional; choices ≤ 25; ≤ 100 commands, names
 * unique per type. Autocomplete: ≤ 25 choices, name 1–100.
 */
import type { Json, JsonObject } from './types.js';

type Problems = string[];

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Json | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function checkLength(problems: Problems, path: string, value: Json | undefined, min: number, max: number): number {
  const s = text(value);
  if (s === null) {
    if (min > 0) problems.push(`${path}: required string`);
    return 0;
  }
  const length = [...s].length;
  if (length < min || length > max) problems.push(`${path}: must be ${min}-${max} characters (got ${length})`);
  return length;
}

function checkEmbed(problems: Problems, path: string, embed: Json): void {
  if (!isObject(embed)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  let total = 0;
  if (embed['title'] !== undefined) total += checkLength(problems, `${path}.title`, embed['title'], 0, 256);
  if (embed['description'] !== undefined) total += checkLength(problems, `${path}.description`, embed['description'], 0, 4096);
  const footer = embed['footer'];
  if (isObject(footer)) total += checkLength(problems, `${path}.footer.text`, footer['text'], 1, 2048);
  const author = embed['author'];
  if (isObject(author)) total += checkLength(problems, `${path}.author.name`, author['name'], 1, 256);
  const fields = embed['fields'];
  if (Array.isArray(fields)) {
    if (fields.length > 25) problems.push(`${path}.fields: at most 25 (got ${fields.length})`);
    fields.forEach((field, i) => {
      if (!isObject(field)) {
        problems.push(`${path}.fields[${i}]: must be an object`);
        return;
      }
      total += checkLength(problems, `${path}.fields[${i}].name`, field['name'], 1, 256);
      total += checkLength(problems, `${path}.fields[${i}].value`, field['value'], 1, 1024);
    });
  }
  if (total > 6000) problems.push(`${path}: embed text totals ${total} characters, at most 6000`);
}

function checkComponents(problems: Problems, components: Json[]): void {
  if (components.length > 5) problems.push(`components: at most 5 action rows (got ${components.length})`);
  const customIds = new Set<string>();
  components.forEach((row, r) => {
    if (!isObject(row) || row['type'] !== 1 || !Array.isArray(row['components'])) {
      problems.push(`components[${r}]: must be an action row (type 1) with components`);
      return;
    }
    const inner = row['components'];
    if (inner.length === 0 || inner.length > 5) problems.push(`components[${r}].components: 1-5 items (got ${inner.length})`);
    inner.forEach((component, c) => {
      const path = `components[${r}].components[${c}]`;
      if (!isObject(component)) {
        problems.push(`${path}: must be an object`);
        return;
      }
      if (component['type'] === 2 && component['label'] !== undefined) checkLength(problems, `${path}.label`, component['label'], 0, 80);
      const isLinkButton = component['type'] === 2 && component['style'] === 5;
      if (isLinkButton) return;
      const id = text(component['custom_id']);
      checkLength(problems, `${path}.custom_id`, component['custom_id'], 1, 100);
      if (id !== null) {
        if (customIds.has(id)) problems.push(`${path}.custom_id: duplicate "${id}"`);
        customIds.add(id);
      }
    });
  });
}

/** Problems in a message body (create, edit, interaction response data); empty when valid. */
export function messageProblems(body: Json, fileCount: number, requireSomething: boolean): string[] {
  const problems: Problems = [];
  if (!isObject(body)) {
    if (requireSomething && fileCount === 0) problems.push('message: cannot send an empty message');
    return problems;
  }
  if (body['content'] !== undefined && body['content'] !== null) checkLength(problems, 'content', body['content'], 0, 2000);
  const embeds = body['embeds'];
  if (Array.isArray(embeds)) {
    if (embeds.length > 10) problems.push(`embeds: at most 10 (got ${embeds.length})`);
    embeds.forEach((embed, i) => checkEmbed(problems, `embeds[${i}]`, embed));
  }
  const components = body['components'];
  if (Array.isArray(components)) checkComponents(problems, components);
  if (fileCount > 10) problems.push(`files: at most 10 (got ${fileCount})`);
  if (requireSomething) {
    const hasContent = typeof body['content'] === 'string' && body['content'].length > 0;
    const hasEmbeds = Array.isArray(embeds) && embeds.length > 0;
    const hasComponents = Array.isArray(components) && components.length > 0;
    const hasPoll = isObject(body['poll']);
    if (!hasContent && !hasEmbeds && !hasComponents && !hasPoll && fileCount === 0) {
      problems.push('message: cannot send an empty message');
    }
  }
  return problems;
}

const COMMAND_NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

function checkOptions(problems: Problems, path: string, options: Json | undefined): void {
  if (options === undefined) return;
  if (!Array.isArray(options)) {
    problems.push(`${path}: must be an array`);
    return;
  }
  if (options.length > 25) problems.push(`${path}: at most 25 options (got ${options.length})`);
  let sawOptional = false;
  const names = new Set<string>();
  options.forEach((option, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(option)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const name = text(option['name']) ?? '';
    if (!COMMAND_NAME.test(name) || name !== name.toLowerCase()) problems.push(`${at}.name: "${name}" is not a valid option name`);
    if (names.has(name)) problems.push(`${at}.name: duplicate "${name}"`);
    names.add(name);
    checkLength(problems, `${at}.description`, option['description'], 1, 100);
    const type = option['type'];
    if (typeof type !== 'number' || type < 1 || type > 11) problems.push(`${at}.type: unknown option type ${String(type)}`);
    if (type === 1 || type === 2) {
      checkOptions(problems, `${at}.options`, option['options']);
      return;
    }
    const required = option['required'] === true;
    if (required && sawOptional) problems.push(`${at}: required options must be placed before non-required options`);
    if (!required) sawOptional = true;
    const choices = option['choices'];
    if (Array.isArray(choices) && choices.length > 25) problems.push(`${at}.choices: at most 25 (got ${choices.length})`);
    if (Array.isArray(choices) && choices.length > 0 && option['autocomplete'] === true) {
      problems.push(`${at}: autocomplete cannot be combined with choices`);
    }
  });
}

/** Problems in a bulk-overwrite body (PUT .../commands); empty when valid. */
export function commandListProblems(body: Json): string[] {
  const problems: Problems = [];
  if (!Array.isArray(body)) return ['body: must be an array of commands'];
  if (body.length > 100) problems.push(`body: at most 100 commands (got ${body.length})`);
  const seen = new Set<string>();
  body.forEach((command, i) => problems.push(...commandProblems(command, `[${i}]`, seen)));
  return problems;
}

export function commandProblems(command: Json, path: string, seen: Set<string> = new Set()): string[] {
  const problems: Problems = [];
  if (!isObject(command)) return [`${path}: must be an object`];
  const type = typeof command['type'] === 'number' ? command['type'] : 1;
  const name = text(command['name']) ?? '';
  if (!COMMAND_NAME.test(name) || (type === 1 && name !== name.toLowerCase())) {
    problems.push(`${path}.name: "${name}" is not a valid command name`);
  }
  const key = `${type}:${name}`;
  if (seen.has(key)) problems.push(`${path}.name: duplicate command "${name}"`);
  seen.add(key);
  if (type === 1) checkLength(problems, `${path}.description`, command['description'], 1, 100);
  checkOptions(problems, `${path}.options`, command['options']);
  return problems;
}

/** Problems in an autocomplete result (callback type 8). */
export function autocompleteProblems(data: Json): string[] {
  if (!isObject(data) || !Array.isArray(data['choices'])) return ['data.choices: required array'];
  const problems: Problems = [];
  const choices = data['choices'];
  if (choices.length > 25) problems.push(`data.choices: at most 25 (got ${choices.length})`);
  choices.forEach((choice, i) => {
    if (!isObject(choice)) problems.push(`data.choices[${i}]: must be an object`);
    else checkLength(problems, `data.choices[${i}].name`, choice['name'], 1, 100);
  });
  return problems;
}
