// The colour theme: "system" follows prefers-color-scheme (styles.css's media query),
// "light" and "dark" override it. The choice is remembered in localStorage and applied
// as <html data-theme="…"> before the first render, so a reload keeps it without a flash.
import { useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";

export const themeChoices: { value: ThemeChoice; label: string }[] = [
  { value: "system", label: "System theme" },
  { value: "light", label: "Light theme" },
  { value: "dark", label: "Dark theme" },
];

const storageKey = "pacsport.theme";

export function storedTheme(): ThemeChoice {
  const stored = localStorage.getItem(storageKey);
  return stored === "light" || stored === "dark" ? stored : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") {
    localStorage.removeItem(storageKey);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(storageKey, choice);
    document.documentElement.dataset.theme = choice;
  }
}

/** The current choice and a setter that applies and remembers it. */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState(storedTheme);
  return [
    choice,
    (next) => {
      applyTheme(next);
      setChoice(next);
    },
  ];
}
