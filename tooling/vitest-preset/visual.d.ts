export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: string[];
export declare function ensureChromium(): string;
export declare function significantDigits(text: string): number | null;
export interface TextCheck {
  /** number of text labels inspected, and how many of them are tick labels */
  texts: number;
  ticks: number;
  /** tick labels with more than maxDigits significant digits */
  noisyTicks: string[];
  /** overlapping pairs, as `"a" × "b"` */
  overlaps: string[];
}
export declare function checkTexts(
  page: { evaluate(script: string): Promise<unknown> },
  selector: string,
  opts?: { maxDigits?: number; slack?: number },
): Promise<TextCheck>;
