import { describe, expect, it } from 'vitest';
import { readNumber, readNumberInputs } from '../src/number-input.js';

const lr = { label: 'learning rate', min: 0, max: 1, minExclusive: true };
const epochs = { label: 'epochs', min: 1, max: 1000, integer: true };

describe('readNumber', () => {
  it('reads plain decimal numbers within the limits', () => {
    expect(readNumber('5e-3', lr)).toBe(0.005);
    expect(readNumber(' 0.25 ', lr)).toBe(0.25);
    expect(readNumber('1', lr)).toBe(1);
    expect(readNumber('.5', lr)).toBe(0.5);
    expect(readNumber('12', epochs)).toBe(12);
    expect(readNumber('1e3', epochs)).toBe(1000);
  });

  it('refuses NaN, Infinity, empty and unreadable text with a message naming the field', () => {
    expect(() => readNumber('NaN', lr)).toThrow('learning rate: "NaN" is not a number; enter a number > 0 and ≤ 1');
    expect(() => readNumber('Infinity', lr)).toThrow(/learning rate: "Infinity" is not a number/);
    expect(() => readNumber('1e999', lr)).toThrow('learning rate: 1e999 is not finite; enter a number > 0 and ≤ 1');
    expect(() => readNumber('', lr)).toThrow('learning rate: empty; enter a number > 0 and ≤ 1');
    // what an <input type="number"> reports for text it cannot read: value "" and validity.badInput
    expect(() => readNumber('', lr, true)).toThrow('learning rate: the text typed is not a number; enter a number > 0 and ≤ 1');
    for (const t of ['0x10', '0b11', '1,5', '1e', '--1', '+-1', '1 2', 'e5']) expect(() => readNumber(t, lr), t).toThrow(/not a number/);
  });

  it('refuses values out of range, zero where min is exclusive, and fractions for whole numbers', () => {
    expect(() => readNumber('0', lr)).toThrow('learning rate: 0 is out of range; enter a number > 0 and ≤ 1');
    expect(() => readNumber('-1e-3', lr)).toThrow(/out of range/);
    expect(() => readNumber('1.5', lr)).toThrow(/out of range/);
    expect(() => readNumber('2.5', epochs)).toThrow('epochs: 2.5 is not a whole number; enter a whole number from 1 to 1000');
    expect(() => readNumber('1001', epochs)).toThrow('epochs: 1001 is out of range; enter a whole number from 1 to 1000');
    expect(() => readNumber('0', epochs)).toThrow(/out of range/);
    expect(readNumber('0', { label: 'ε', min: -1, max: 0 })).toBe(0);
  });
});

describe('readNumberInputs', () => {
  it('collects the message of every failing field and marks it aria-invalid', () => {
    const input = (value: string, badInput = false) => {
      const attrs = new Map<string, string>();
      return {
        value,
        validity: { badInput },
        setAttribute: (k: string, v: string) => attrs.set(k, v),
        removeAttribute: (k: string) => attrs.delete(k),
        attrs,
      };
    };
    const a = input('', true);
    const b = input('12');
    const c = input('3000');
    const { values, errors } = readNumberInputs({
      lr: { input: a as unknown as HTMLInputElement, limits: lr },
      epochs: { input: b as unknown as HTMLInputElement, limits: epochs },
      more: { input: c as unknown as HTMLInputElement, limits: { ...epochs, label: 'more epochs' } },
    });
    expect(values).toEqual({ epochs: 12 });
    expect(errors).toEqual([
      'learning rate: the text typed is not a number; enter a number > 0 and ≤ 1',
      'more epochs: 3000 is out of range; enter a whole number from 1 to 1000',
    ]);
    expect(a.attrs.get('aria-invalid')).toBe('true');
    expect(b.attrs.has('aria-invalid')).toBe(false);
  });
});
