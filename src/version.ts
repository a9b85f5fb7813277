/** The package version (package.json's; a build check keeps the two equal). */
export const VERSION = '0.1.0';
