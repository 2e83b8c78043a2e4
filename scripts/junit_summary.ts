/** Prints "tests failures errors skipped" from a deno test JUnit report (used by .ci/run). */
const path = Deno.args[0];
if (!path) throw new Error("usage: junit_summary.ts <junit.xml>");
const xml = await Deno.readTextFile(path);
let tests = 0, failures = 0, errors = 0, skipped = 0;
for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  tests++;
  const body = m[2] ?? "";
  if (/<failure\b/.test(body)) failures++;
  else if (/<error\b/.test(body)) errors++;
  else if (/<skipped\b/.test(body)) skipped++;
}
console.log(`${tests} ${failures} ${errors} ${skipped}`);
