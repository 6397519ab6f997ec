// Logged out: the login page. Logged in: the workspace, keyed by the token so that
// nothing a previous login loaded (pages, thumbnails, dialogs) survives into the next.
import { useEffect, useState } from "react";
import type { ExportScope } from "./api";
import { AuditPage } from "./components/AuditPage";
import { DestinationsPage } from "./components/DestinationsPage";
import { ExportDialog } from "./components/ExportDialog";
import { Header } from "./components/Header";
import { JobsPage } from "./components/JobsPage";
import { LoginPage } from "./components/LoginPage";
import { PatientsPage } from "./components/PatientsPage";
import { SchedulesPage } from "./components/SchedulesPage";
import { StudiesPage } from "./components/StudiesPage";
import { ExportContext } from "./exportContext";
import { adminViews, useView, type View } from "./router";
import { useSession } from "./session";

export function App() {
  const { session } = useSession();
  if (!session) return <LoginPage />;
  return <Workspace key={session.token} />;
}

const titles: Record<View, string> = {
  patients: "Patients",
  studies: "Studies",
  jobs: "Export jobs",
  audit: "Audit log",
  destinations: "Destinations",
  schedules: "Schedules",
};

function Workspace() {
  const { session } = useSession();
  const isAdmin = session?.user.role === "admin";
  const [requested, navigate] = useView();
  const view = adminViews.includes(requested) && !isAdmin ? "patients" : requested;
  const [exportScope, setExportScope] = useState<ExportScope | null>(null);
  // The job the Export dialog just created (or a schedule's run that was clicked): the Jobs page focuses it.
  const [createdJob, setCreatedJob] = useState<string | null>(null);
  useEffect(() => {
    document.title = `${titles[view]} · pacsport`;
    if (view !== "jobs") setCreatedJob(null);
  }, [view]);

  return (
    <ExportContext.Provider value={setExportScope}>
      <Header view={view} onNavigate={navigate} onExportAll={() => setExportScope({ kind: "all", label: "All data of the hospital" })} />
      <main id="main" className="main">
        {view === "patients" && <PatientsPage />}
        {view === "studies" && <StudiesPage />}
        {view === "jobs" && <JobsPage focusJob={createdJob} />}
        {view === "audit" && <AuditPage />}
        {view === "destinations" && <DestinationsPage />}
        {view === "schedules" && (
          <SchedulesPage
            onOpenJob={(id) => {
              navigate("jobs");
              setCreatedJob(id);
            }}
          />
        )}
      </main>
      {exportScope && (
        <ExportDialog
          scope={exportScope}
          onClose={() => setExportScope(null)}
          onJobStarted={(id) => {
            setExportScope(null);
            setCreatedJob(id);
            navigate("jobs");
          }}
        />
      )}
    </ExportContext.Provider>
  );
}
