import { InvalidArgumentError } from 'commander';

/** commander argument parsers that reject bad values with a clear message. */
export function positiveInteger(name: string, max = 1_000_000) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${name} must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < 1 || value > max) throw new InvalidArgumentError(`${name} must be between 1 and ${max}, got ${raw}`);
    return value;
  };
}

export function nonNegativeInteger(name: string, max = 1_000_000_000) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${name} must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value > max) throw new InvalidArgumentError(`${name} must be at most ${max}, got ${raw}`);
    return value;
  };
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) {
      throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    }
    return raw as T;
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuid(name: string) {
  return (raw: string): string => {
    if (!uuidPattern.test(raw)) throw new InvalidArgumentError(`${name} must be a UUID, got "${raw}"`);
    return raw.toLowerCase();
  };
}
