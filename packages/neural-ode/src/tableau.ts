/** Butcher tableaux from @sii/rk as this package reads them (the tensor step is in tensor_step.ts). */
import { getTableau } from '@sii/rk';
import { show } from './validate.js';

/**
 * The fields of an @sii/rk ButcherTableau this package reads (any explicit tableau with these
 * fields works): c_i, a_ij (strictly lower triangular), b_i, optional embedded weights bHat.
 */
export interface TableauLike {
  readonly name: string;
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly c: readonly number[];
  readonly order: number;
  readonly bHat?: readonly number[] | undefined;
  readonly embeddedOrder?: number | undefined;
  readonly fsal?: boolean | undefined;
  /** Continuous extension: b_i(θ) = Σ_q dense[i][q]·θ^(q+1) (dopri5 in @sii/rk). */
  readonly dense?: readonly (readonly number[])[] | undefined;
}

/** Resolve a method name through @sii/rk's getTableau, or check a given tableau is explicit. */
export function resolveTableau(method: string | TableauLike, where: string): TableauLike {
  if (typeof method === 'string') {
    try {
      return getTableau(method);
    } catch (err) {
      throw new RangeError(`${where}: unknown method ${JSON.stringify(method)}: ${(err as Error).message}`);
    }
  }
  if (method == null || typeof method !== 'object' || !Array.isArray(method.b) || !Array.isArray(method.a)) {
    throw new TypeError(`${where}: method must be a method name or a Butcher tableau, got ${show(method)}`);
  }
  const s = method.b.length;
  if (method.c.length !== s || method.a.length !== s) {
    throw new RangeError(
      `${where}: tableau ${JSON.stringify(method.name)} has inconsistent sizes (b ${s}, c ${method.c.length}, a ${method.a.length})`,
    );
  }
  method.a.forEach((row, i) => {
    for (let j = i; j < row.length; j++) {
      if (row[j] !== 0) {
        throw new RangeError(`${where}: tableau ${JSON.stringify(method.name)} is not explicit (a[${i}][${j}] = ${row[j]})`);
      }
    }
  });
  if (method.bHat != null && method.bHat.length !== s) {
    throw new RangeError(`${where}: tableau ${JSON.stringify(method.name)} has bHat of length ${method.bHat.length}, expected ${s}`);
  }
  return method;
}

/** Whether the tableau has an embedded error estimator (adaptive stepping possible). */
export function isAdaptive(tab: TableauLike): boolean {
  return tab.bHat != null && tab.bHat.length === tab.b.length;
}
