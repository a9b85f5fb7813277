/** The browser's name and version for the report's head, from User-Agent Client Hints where present. */
export async function browserName(): Promise<string> {
  const uaData = (navigator as Navigator & {
    userAgentData?: { getHighEntropyValues(h: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[] }> };
  }).userAgentData;
  try {
    const hints = await uaData?.getHighEntropyValues(['fullVersionList']);
    const brands = (hints?.fullVersionList ?? []).filter((b) => !/not.?a.?brand/i.test(b.brand));
    const best = brands.find((b) => /chrome|edge|opera/i.test(b.brand)) ?? brands.find((b) => /chromium/i.test(b.brand)) ?? brands[0];
    if (best) return `${best.brand} ${best.version}`;
  } catch {
    // Fall through to the user agent string.
  }
  return navigator.userAgent;
}
