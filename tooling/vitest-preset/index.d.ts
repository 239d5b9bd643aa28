import type { UserConfig } from 'vitest/config';
export declare const siiPreset: UserConfig;
export declare function defineSiiConfig(overrides?: UserConfig): UserConfig;
