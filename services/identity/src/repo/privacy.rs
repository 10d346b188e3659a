//! Storage of personal data rights: consent records, data exports, the facts an export
//! document gathers, and erasure.

pub mod consents;
pub mod erasure;
pub mod exports;
pub mod personal_data;

crate::repo::text_enum! {
    /// What a consent record is about.
    pub enum ConsentKind {
        /// The privacy policy (a version).
        PrivacyPolicy = "PRIVACY_POLICY",
        /// The terms of service (a version).
        TermsOfService = "TERMS_OF_SERVICE",
        /// Marketing messages (a channel).
        Marketing = "MARKETING",
    }
}

crate::repo::text_enum! {
    /// The channel a marketing consent covers.
    pub enum ConsentChannel {
        /// Text messages.
        Sms = "SMS",
        /// WeChat messages.
        Wechat = "WECHAT",
        /// WeCom messages.
        Wecom = "WECOM",
        /// In-app messages.
        InApp = "IN_APP",
        /// Phone calls.
        PhoneCall = "PHONE_CALL",
        /// E-mail.
        Email = "EMAIL",
    }
}

crate::repo::text_enum! {
    /// Where a data export job is (PENDING → RUNNING → READY → EXPIRED, or FAILED).
    pub enum ExportStatus {
        /// Requested, not started.
        Pending = "PENDING",
        /// Being built.
        Running = "RUNNING",
        /// Downloadable until its expiry.
        Ready = "READY",
        /// Given up (or the user was erased meanwhile).
        Failed = "FAILED",
        /// Its payload is purged.
        Expired = "EXPIRED",
    }
}
