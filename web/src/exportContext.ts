// Every export entry point (patient card, study row, study card, Export All) opens the
// one Export dialog that the workspace owns, through this context.
import { createContext, useContext } from "react";
import type { ExportScope } from "./api";

export const ExportContext = createContext<(scope: ExportScope) => void>(() => {
  throw new Error("ExportContext outside the workspace");
});

export function useOpenExport(): (scope: ExportScope) => void {
  return useContext(ExportContext);
}
