// Field readers for plugin configuration. The plugins do not use zod: bundled, zod 4 adds
// more to every invocation's start-up than the kernel work of an ADD takes (the figure:
// bench/README.md). These readers name the offending field and value in every error.
import { CniError, ErrorCode } from './errors.js';

export type Json = Record<string, unknown>;

function fail(field: string, expected: string, value: unknown): never {
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `config field "${field}" must be ${expected}, got ${JSON.stringify(value)}`,
  );
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(o: Json, field: string, prefix = ''): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(prefix + field, 'a string', v);
  return v;
}

export function reqString(o: Json, field: string, prefix = ''): string {
  const v = optString(o, field, prefix);
  if (v === undefined || v === '') fail(prefix + field, 'a non-empty string', o[field]);
  return v;
}

export function optBool(o: Json, field: string, fallback: boolean): boolean {
  const v = o[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(field, 'true or false', v);
  return v;
}

export function optInt(o: Json, field: string, min: number, max: number): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(field, `an integer from ${min} to ${max}`, v);
  return v;
}

export function optObject(o: Json, field: string): Json | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(field, 'an object', v);
  return v;
}

export function optArray(o: Json, field: string, prefix = ''): unknown[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(prefix + field, 'a list', v);
  return v;
}

/** Network names, container IDs: the spec's character set. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
