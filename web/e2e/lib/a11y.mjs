// The automated accessibility check: axe-core (npm) injected into the page and run over
// the document as it is (an open dialog included); serious and critical violations count.
import { createRequire } from "node:module";

const axePath = createRequire(import.meta.url).resolve("axe-core");

/** The page's serious and critical axe violations, each with up to five offending nodes. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => ({
        rule: violation.id,
        help: violation.help,
        nodes: violation.nodes.slice(0, 5).map((node) => `${node.target.join(" ")}: ${node.failureSummary?.split("\n").slice(1).join(" ")}`),
      }));
  });
}
