//! A background read that fails is said on screen, never a silently empty one.

use std::sync::Arc;

use audience_desk::context::Core;
use audience_desk::gui::{App, FixedPicker};
use audience_desk::pinterest::Endpoints;
use audience_desk::store::MemorySecrets;
use egui_kittest::kittest::Queryable;

#[test]
fn a_jobs_list_that_cannot_be_read_is_said() {
    let home = tempfile::tempdir().unwrap();
    let unused = url::Url::parse("http://127.0.0.1:9/").unwrap();
    let core = Core::with(
        home.path(),
        Endpoints::simulator(&unused, unused.clone()),
        Arc::new(MemorySecrets::default()),
        None,
    )
    .unwrap();
    // A state this version does not know, as a newer version might leave.
    audience_desk::store::Store::open(&core.home)
        .unwrap()
        .create_job(
            &audience_desk::store::JobRow {
                id: 0,
                connection: "EU".into(),
                ad_account_id: "1".into(),
                file: "a.csv".into(),
                query: None,
                spec: "{}".into(),
                state: audience_desk::store::JobState::Running,
                message: None,
                summary: None,
                scan: None,
                created_at: 0,
                updated_at: 0,
            },
            &[],
            &[],
        )
        .unwrap();
    let db = home.path().join(audience_desk::store::DATABASE_FILE);
    rusqlite::Connection::open(db)
        .unwrap()
        .execute("UPDATE jobs SET state = 'archived'", [])
        .unwrap();
    let app = App::with_core(Arc::new(FixedPicker(None)), Ok(core), None);
    let mut harness = crate::common::harness(app);
    harness.run_steps(2);
    harness.get_by_label("Jobs").click();
    crate::common::step_until(&mut harness, "the failure said", |h| {
        h.query_by_label_contains("Cannot read the jobs").is_some()
    });
}
