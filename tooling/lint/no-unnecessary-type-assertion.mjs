/**
 * typescript-eslint's `no-unnecessary-type-assertion`, adjusted to this project (used by the root
 * eslint.config.mjs, `pnpm lint:types`):
 * - without its `contextuallyInferredTypeArguments` report: that one flags tfjs's
 *   `tf.reshape(x, s) as Tensor2D`, where the assertion is what infers the rank (removing it changes the
 *   type), and asks for `tf.reshape<Rank.R2>(…)` instead, a style this project does not use;
 * - plus `a[i] = b[j]!`: upstream skips every `!` on the right of `=` (there a `!` on a nullable value
 *   narrows the assigned variable); when the value's type is not nullable at all, as `b[j]` of a typed
 *   array while noUncheckedIndexedAccess is off, the `!` changes nothing and is reported (and fixed) too.
 */
import ts from 'typescript';
import tseslint from 'typescript-eslint';

const upstream = tseslint.plugin.rules['no-unnecessary-type-assertion'];

const MAYBE_MISSING = ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.Any | ts.TypeFlags.Unknown;

/** Whether a value of this type may be null or undefined (or is generic, any or unknown: unsure). */
function maybeMissing(type) {
  if (type.flags & (MAYBE_MISSING | ts.TypeFlags.TypeParameter | ts.TypeFlags.Index | ts.TypeFlags.IndexedAccess)) return true;
  return type.isUnion() ? type.types.some(maybeMissing) : false;
}

export const noUnnecessaryTypeAssertion = {
  meta: upstream.meta,
  defaultOptions: upstream.defaultOptions,
  create(context) {
    const report = (descriptor) => {
      if (descriptor.messageId !== 'contextuallyInferredTypeArguments') context.report(descriptor);
    };
    // the rule context is a frozen object: a child object shadows its `report`
    const filtered = Object.freeze(Object.create(context, { report: { value: report } }));
    const visitors = upstream.create(filtered);
    const services = context.sourceCode.parserServices;
    return {
      ...visitors,
      'AssignmentExpression[operator="="] > TSNonNullExpression.right'(node) {
        if (maybeMissing(services.getTypeAtLocation(node.expression))) return;
        context.report({
          node,
          messageId: 'unnecessaryAssertion',
          // the `!` is the node's last character
          fix: (fixer) => fixer.removeRange([node.range[1] - 1, node.range[1]]),
        });
      },
    };
  },
};
