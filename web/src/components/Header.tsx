// The top bar: product and hospital, the views, Export All (admins), the theme, the user
// and Log out. In a narrow window (styles.css, max-width 720px) the views and the rest sit
// in a menu that a "Menu" disclosure button opens (aria-expanded); following a view or
// pressing Escape closes it. In a wide window the menu is always shown and the button hidden.
import { useEffect, useId, useRef, useState, type MouseEvent } from "react";
import type { View } from "../router";
import { useSession } from "../session";
import { themeChoices, useTheme, type ThemeChoice } from "../theme";

const roleNames = { admin: "Administrator", user: "User", ai: "AI service" } as const;

interface Props {
  view: View;
  onNavigate: (view: View) => void;
  onExportAll: () => void;
}

export function Header({ view, onNavigate, onExportAll }: Props) {
  const { session, logOut } = useSession();
  const [theme, setTheme] = useTheme();
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();
  const menuButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setMenuOpen(false);
      menuButton.current?.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [menuOpen]);

  if (!session) return null;
  const { user } = session;
  const isAdmin = user.role === "admin";
  const tabs: { view: View; label: string }[] = [
    { view: "patients", label: "Patients" },
    { view: "studies", label: "Studies" },
    { view: "jobs", label: "Jobs" },
    ...(isAdmin
      ? [
          { view: "audit" as View, label: "Audit log" },
          { view: "destinations" as View, label: "Destinations" },
          { view: "schedules" as View, label: "Schedules" },
        ]
      : []),
  ];
  const follow = (target: View) => (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    setMenuOpen(false);
    onNavigate(target);
  };

  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">pacsport</span>
        <span className="hospital" title="Your hospital">
          {user.hospital}
        </span>
      </div>
      <button
        ref={menuButton}
        type="button"
        className="button menu-button"
        aria-expanded={menuOpen}
        aria-controls={menuId}
        onClick={() => setMenuOpen(!menuOpen)}
      >
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
          <path d="M2 4h12M2 8h12M2 12h12" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
        Menu
      </button>
      <div id={menuId} className={menuOpen ? "topbar-menu open" : "topbar-menu"}>
        <nav className="tabs" aria-label="Views">
          {tabs.map((tab) => (
            <a
              key={tab.view}
              href={`/${tab.view}`}
              className="tab"
              aria-current={view === tab.view ? "page" : undefined}
              onClick={follow(tab.view)}
            >
              {tab.label}
            </a>
          ))}
        </nav>
        <div className="topbar-end">
          {isAdmin && (
            <button
              type="button"
              className="button"
              onClick={() => {
                setMenuOpen(false);
                onExportAll();
              }}
            >
              Export All
            </button>
          )}
          <label>
            <span className="visually-hidden">Theme</span>
            <select value={theme} onChange={(event) => setTheme(event.target.value as ThemeChoice)}>
              {themeChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <span className="user">
            <span className="visually-hidden">Logged in as </span>
            <span className="user-name">{user.username}</span>
            <span className="user-role">{roleNames[user.role]}</span>
          </span>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              window.history.replaceState(null, "", "/login");
              logOut();
            }}
          >
            Log out
          </button>
        </div>
      </div>
    </header>
  );
}
