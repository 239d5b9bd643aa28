/** The README's first ```ts block (code), run under plain node from pkgDir against dist/, and its output. */
export declare function runReadmeExample(pkgDir: string, opts?: { asFile?: boolean }): { readme: string; code: string; out: string };
