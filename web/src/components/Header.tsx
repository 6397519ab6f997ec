// The top bar: product and hospital, the views, Export All (admins), the user and Log out.
import type { MouseEvent } from "react";
import type { View } from "../router";
import { useSession } from "../session";

const roleNames = { admin: "Administrator", user: "User", ai: "AI service" } as const;

interface Props {
  view: View;
  onNavigate: (view: View) => void;
  onExportAll: () => void;
}

export function Header({ view, onNavigate, onExportAll }: Props) {
  const { session, end } = useSession();
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
          <button type="button" className="button" onClick={onExportAll}>
            Export All
          </button>
        )}
        <span className="user">
          <span className="visually-hidden">Logged in as </span>
          <span className="user-name">{user.username}</span>
          <span className="user-role">{roleNames[user.role]}</span>
        </span>
        <button type="button" className="button button-quiet" onClick={() => end()}>
          Log out
        </button>
      </div>
    </header>
  );
}
