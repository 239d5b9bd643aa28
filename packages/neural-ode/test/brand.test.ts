// MlpVectorField is recognised by a brand (Symbol.for('sii.MlpVectorField')), so a field made by another
// copy of @sii/neural-ode (two pinned versions side by side) passes the checks of this copy.
import { describe, expect, it } from 'vitest';
import { isMlpVectorField, MLP_VECTOR_FIELD_BRAND, MlpVectorField, serializeModel } from '../src/index.js';

describe('MlpVectorField brand', () => {
  it('sits on the prototype under the global symbol', () => {
    expect(MLP_VECTOR_FIELD_BRAND).toBe('sii.MlpVectorField');
    expect((MlpVectorField.prototype as unknown as Record<symbol, unknown>)[Symbol.for('sii.MlpVectorField')]).toBe(true);
  });

  it('accepts an instance of another class carrying the brand (what a second copy produces)', () => {
    class OtherCopyField {}
    Object.defineProperty(OtherCopyField.prototype, Symbol.for('sii.MlpVectorField'), { value: true });
    const foreign = new OtherCopyField();
    expect(foreign instanceof MlpVectorField).toBe(true);
    expect(isMlpVectorField(foreign)).toBe(true);
  });

  it('rejects look-alikes without the brand, and serializeModel names the argument', () => {
    const lookAlike = { spec: { states: 2 }, variables: [], getWeights: () => ({}) };
    expect(lookAlike instanceof MlpVectorField).toBe(false);
    expect(isMlpVectorField(lookAlike)).toBe(false);
    expect(() => serializeModel(lookAlike as never)).toThrow(/serializeModel: field must be an MlpVectorField/);
  });
});
