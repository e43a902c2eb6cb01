//! The end of a job that sent everything: audiences for the lists it made, and every list's
//! status as Pinterest reports it.

use std::collections::HashMap;
use std::time::Duration;

use super::plan::JobError;
use super::progress::ListReport;
use super::runner::Job;
use super::send::{UNKNOWN_OUTCOME_TRIES, outcome_unknown};
use crate::identity::ListType;
use crate::pinterest::NewAudience;

impl Job {
    /// Wraps new lists in audiences, then asks Pinterest for every list's status.
    pub(super) async fn finish_lists(&self) -> Result<Vec<ListReport>, JobError> {
        if self.spec.create_audience {
            for list in self.job_lists().await? {
                // Only the lists this job made get an audience; existing ones have theirs.
                let (Some(list_id), None, None) = (
                    &list.list_id,
                    &list.audience_id,
                    self.spec.target.existing(list.list_type),
                ) else {
                    continue;
                };
                let id = self.create_audience(&list.list_name, list_id).await?;
                let (job, list_type) = (self.id, list.list_type);
                self.journal(move |s| s.set_job_list(job, list_type, None, Some(&id)))
                    .await?;
            }
        }
        let mut statuses = HashMap::new();
        for list in self.job_lists().await? {
            let list_status = match &list.list_id {
                Some(id) => self
                    .client
                    .customer_list(&self.ad, id)
                    .await
                    .ok()
                    .and_then(|l| l.status),
                None => None,
            };
            let audience = match &list.audience_id {
                Some(id) => self.client.audience(&self.ad, id).await.ok(),
                None => None,
            };
            statuses.insert(list.list_type, (list_status, audience));
        }
        self.list_reports(Some(statuses)).await
    }

    /// Wraps a list in a CUSTOMER_LIST audience, unless one with that name and list exists
    /// (after a crash or an answer that was lost).
    async fn create_audience(&self, name: &str, list_id: &str) -> Result<String, JobError> {
        let mut unknown = 0;
        loop {
            let existing = self.client.audiences(&self.ad).await?;
            let found = existing.into_iter().find(|a| {
                a.name.as_deref() == Some(name)
                    && a.rule.as_ref().and_then(|r| r.customer_list_id.as_deref()) == Some(list_id)
            });
            if let Some(audience) = found {
                return Ok(audience.id);
            }
            let description = Some(format!(
                "Uploaded by Audience Desk from {}",
                self.source_name
            ));
            let request = NewAudience::for_customer_list(name, list_id, description);
            match self.client.create_audience(&self.ad, &request).await {
                Ok(audience) => return Ok(audience.id),
                Err(e) if outcome_unknown(&e) && unknown < UNKNOWN_OUTCOME_TRIES => {
                    unknown += 1;
                    tokio::time::sleep(Duration::from_millis(200 * unknown)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    pub(super) async fn list_reports(
        &self,
        statuses: Option<HashMap<ListType, (Option<String>, Option<crate::pinterest::Audience>)>>,
    ) -> Result<Vec<ListReport>, JobError> {
        let mut statuses = statuses.unwrap_or_default();
        Ok(self
            .job_lists()
            .await?
            .into_iter()
            .map(|list| {
                let (list_status, audience) = statuses.remove(&list.list_type).unwrap_or_default();
                ListReport {
                    list_type: list.list_type,
                    name: list.list_name,
                    list_id: list.list_id,
                    list_status,
                    audience_id: list.audience_id,
                    audience_status: audience.as_ref().and_then(|a| a.status.clone()),
                    audience_size: audience.and_then(|a| a.size),
                }
            })
            .collect())
    }
}
