// The "AI" badge of a study that has AI analysis results; its title names the models.
import type { Study } from "../api";

export function AiBadge({ study }: { study: Study }) {
  const models = study.aiModels.join(", ");
  const text = models ? `AI analysis by ${models}` : "AI analysis available";
  return (
    <span className="badge" title={text}>
      AI<span className="visually-hidden"> ({text})</span>
    </span>
  );
}
