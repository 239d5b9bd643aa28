// Rooted trees and the Runge–Kutta order conditions (Butcher): a method has order p iff
// Φ(t) = bᵀΨ(t) = 1/γ(t) for every rooted tree t with |t| ≤ p (Hairer–Nørsett–Wanner I, Thm II.2.13).

/** A rooted tree given by the (sorted) list of its root's subtrees; `[]` is the single node. */
export interface RootedTree {
  readonly children: readonly RootedTree[];
  /** number of nodes |t| */
  readonly order: number;
  /** density γ(t) = |t| · Π γ(children) */
  readonly density: number;
  /** canonical key used for ordering and de-duplication */
  readonly key: string;
}

function makeTree(children: readonly RootedTree[]): RootedTree {
  const sorted = [...children].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const order = 1 + sorted.reduce((s, u) => s + u.order, 0);
  const density = order * sorted.reduce((p, u) => p * u.density, 1);
  return { children: sorted, order, density, key: `[${sorted.map((u) => u.key).join('')}]` };
}

const cache: RootedTree[][] = [[], [makeTree([])]];

/**
 * All rooted trees with exactly `n` nodes (1, 1, 2, 4, 9, 20, 48, … for n = 1, 2, …).
 * Built as multisets of subtrees whose orders sum to n − 1.
 */
export function treesOfOrder(n: number): RootedTree[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`treesOfOrder: n must be an integer ≥ 1, got ${n}`);
  for (let m = cache.length; m <= n; m++) {
    // candidate subtrees (all orders < m) in a fixed order; multisets = non-decreasing index sequences
    const pool: RootedTree[] = [];
    for (let k = 1; k < m; k++) pool.push(...cache[k]);
    const out: RootedTree[] = [];
    const pick = (start: number, remaining: number, acc: RootedTree[]): void => {
      if (remaining === 0) {
        out.push(makeTree(acc));
        return;
      }
      for (let i = start; i < pool.length; i++) {
        const u = pool[i];
        if (u.order <= remaining) pick(i, remaining - u.order, [...acc, u]);
      }
    };
    pick(0, m - 1, []);
    cache.push(out);
  }
  return cache[n];
}

/** All rooted trees with 1..p nodes (1, 2, 4, 8, 17, 37 trees for p = 1..6). */
export function treesUpToOrder(p: number): RootedTree[] {
  const out: RootedTree[] = [];
  for (let n = 1; n <= p; n++) out.push(...treesOfOrder(n));
  return out;
}

const INDEX = 'ijklmnpqrsuvwxyz';

/** Human-readable order condition, e.g. `Σ b_i c_i = 1/2`, `Σ b_i a_ij c_j = 1/6`. */
export function treeConditionLabel(t: RootedTree): string {
  let next = 1;
  const factors = (node: RootedTree, idx: string): string[] => {
    const parts: string[] = [];
    const leaves = node.children.filter((u) => u.order === 1).length;
    if (leaves === 1) parts.push(`c_${idx}`);
    else if (leaves > 1) parts.push(`c_${idx}^${leaves}`);
    for (const u of node.children) {
      if (u.order === 1) continue;
      const j = INDEX[next++] ?? `j${next}`;
      parts.push(`a_${idx}${j}`, ...factors(u, j));
    }
    return parts;
  };
  const rhs = t.density === 1 ? '1' : `1/${t.density}`;
  return `Σ ${['b_i', ...factors(t, 'i')].join(' ')} = ${rhs}`;
}

/**
 * Stage vector Ψ(t) (length s): Ψ(•) = 𝟙, Ψ([t1..tm])_i = Π_k (A Ψ(t_k))_i; then Φ(t) = bᵀΨ(t).
 * Leaf children contribute A𝟙 = c.
 */
export function stageVector(t: RootedTree, a: readonly (readonly number[])[]): Float64Array {
  const s = a.length;
  const psi = new Float64Array(s).fill(1);
  for (const u of t.children) {
    const pu = stageVector(u, a);
    for (let i = 0; i < s; i++) {
      let acc = 0;
      for (let j = 0; j < i; j++) acc += a[i][j] * pu[j];
      psi[i] *= acc;
    }
  }
  return psi;
}
