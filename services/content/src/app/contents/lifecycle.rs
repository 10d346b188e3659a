//! The life of an item: draft → scheduled → published → archived, as pure changes of a
//! [`Content`]. The caller holds the item's row (locked) and saves what these return.

use super::model::{Content, Snapshot, Status};
use crate::AppError;

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The version went live now; `first` when the item had never been live.
    Live {
        /// First publication.
        first: bool,
    },
    /// The version waits for its time.
    Scheduled,
    /// The version was already live: nothing changed.
    Unchanged,
}

/// Makes `version` (with `snapshot`) live at `now`, or schedules it when `at` is later.
pub fn publish(
    c: &mut Content,
    version: i32,
    snapshot: Snapshot,
    at: Option<i64>,
    now: i64,
) -> Published {
    if let Some(at) = at.filter(|at| *at > now) {
        // An archived item stays hidden until its time: nothing of it is live meanwhile (a
        // schedule on a published item keeps its live version instead).
        if c.status == Status::Archived {
            c.published_version = 0;
            c.live = None;
        }
        c.status = Status::Scheduled;
        c.scheduled_version = Some(version);
        c.scheduled_at_ms = Some(at);
        return Published::Scheduled;
    }
    if c.status == Status::Published && c.published_version == version {
        return Published::Unchanged;
    }
    let first = c.first_published_at_ms.is_none();
    c.status = Status::Published;
    c.published_version = version;
    c.published_at_ms = Some(now);
    c.first_published_at_ms.get_or_insert(now);
    c.scheduled_version = None;
    c.scheduled_at_ms = None;
    c.live = Some(snapshot);
    Published::Live { first }
}

/// Cancels a schedule: back to PUBLISHED when a version is live, else DRAFT.
pub fn unschedule(c: &mut Content) -> Result<(), AppError> {
    if c.status != Status::Scheduled {
        return Err(AppError::ContentNotScheduled);
    }
    c.status = if c.published_version > 0 {
        Status::Published
    } else {
        Status::Draft
    };
    c.scheduled_version = None;
    c.scheduled_at_ms = None;
    Ok(())
}

/// Archives an item (a pending schedule is dropped); archiving an archived item changes
/// nothing and answers false.
pub fn archive(c: &mut Content) -> bool {
    if c.status == Status::Archived {
        return false;
    }
    c.status = Status::Archived;
    c.scheduled_version = None;
    c.scheduled_at_ms = None;
    true
}

/// Whether consumers see the live version: published (or scheduled with an earlier version
/// still live) and not past its expiry.
pub fn visible(c: &Content, now: i64) -> bool {
    c.published_version > 0
        && matches!(c.status, Status::Published | Status::Scheduled)
        && c.expire_at_ms.is_none_or(|e| e > now)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::app::contents::model::{Article, Audience, Body, Kind};

    fn snapshot(title: &str) -> Snapshot {
        Snapshot {
            body: Body::Article(Article {
                title: title.into(),
                summary: String::new(),
                body_markdown: String::new(),
                cover_image_url: String::new(),
                author_name: String::new(),
            }),
            tags: vec![],
            product_ids: vec![],
            audience: Audience::default(),
        }
    }

    fn draft() -> Content {
        Content {
            id: Uuid::nil(),
            kind: Kind::Article,
            status: Status::Draft,
            version: 1,
            published_version: 0,
            scheduled_version: None,
            scheduled_at_ms: None,
            first_published_at_ms: None,
            published_at_ms: None,
            expire_at_ms: None,
            owner_org_unit_id: None,
            created_by: String::new(),
            updated_by: String::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
            row_version: 1,
            latest: snapshot("v1"),
            live: None,
        }
    }

    #[test]
    fn a_draft_goes_live_once_and_republishing_the_live_version_is_a_no_op() {
        let mut c = draft();
        assert_eq!(
            publish(&mut c, 1, snapshot("v1"), None, 10),
            Published::Live { first: true }
        );
        assert_eq!((c.status, c.published_version), (Status::Published, 1));
        assert_eq!(
            publish(&mut c, 1, snapshot("v1"), Some(5), 20),
            Published::Unchanged
        );
        assert_eq!(c.published_at_ms, Some(10));
        assert!(visible(&c, 20));
    }

    #[test]
    fn a_schedule_keeps_the_live_version_and_unscheduling_returns_to_it() {
        let mut c = draft();
        publish(&mut c, 1, snapshot("v1"), None, 10);
        c.version = 2;
        assert_eq!(
            publish(&mut c, 2, snapshot("v2"), Some(100), 20),
            Published::Scheduled
        );
        assert_eq!((c.status, c.published_version), (Status::Scheduled, 1));
        assert!(visible(&c, 30));
        unschedule(&mut c).unwrap();
        assert_eq!(c.status, Status::Published);
        assert!(matches!(
            unschedule(&mut c),
            Err(AppError::ContentNotScheduled)
        ));
    }

    #[test]
    fn an_unscheduled_draft_is_a_draft_again_and_archive_hides_it() {
        let mut c = draft();
        publish(&mut c, 1, snapshot("v1"), Some(100), 20);
        assert!(!visible(&c, 30));
        unschedule(&mut c).unwrap();
        assert_eq!(c.status, Status::Draft);
        publish(&mut c, 1, snapshot("v1"), None, 40);
        assert!(archive(&mut c));
        assert!(!archive(&mut c));
        assert!(!visible(&c, 50));
        assert_eq!(
            publish(&mut c, 1, snapshot("v1"), None, 60),
            Published::Live { first: false }
        );
    }

    #[test]
    fn an_archived_item_scheduled_again_stays_hidden_until_its_time() {
        let mut c = draft();
        publish(&mut c, 1, snapshot("v1"), None, 10);
        archive(&mut c);
        assert_eq!(
            publish(&mut c, 1, snapshot("v1"), Some(100), 20),
            Published::Scheduled
        );
        assert!(!visible(&c, 30));
        assert_eq!(
            publish(&mut c, 1, snapshot("v1"), None, 100),
            Published::Live { first: false }
        );
        assert!(visible(&c, 100));
    }

    #[test]
    fn expiry_hides_a_published_item() {
        let mut c = draft();
        c.expire_at_ms = Some(100);
        publish(&mut c, 1, snapshot("v1"), None, 10);
        assert!(visible(&c, 99));
        assert!(!visible(&c, 100));
    }
}
