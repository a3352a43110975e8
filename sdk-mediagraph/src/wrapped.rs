//! Detail answers that come bare or wrapped.
//!
//! Mediagraph answers a detail call either with the record itself or with the record wrapped in
//! its resource key (`{"asset": {...}}`, facts.md). Each detail model has an optional field named
//! after its key that catches the wrapped form; [`Bare::into_bare`] returns the record either way.
//! The hand-written flows (uploads) call it on every answer they read.

use crate::types;

/// A model whose answer may come wrapped in its resource key.
pub trait Bare: Sized {
    /// The record itself: the wrapped record when the answer was wrapped, else `self`.
    fn into_bare(self) -> Self;
}

/// The wrapped record of a model, however the generator boxed it: `Option<Box<T>>`, or
/// `Box<Option<T>>` for models that contain themselves through other models.
trait Wrapped<T> {
    fn into_record(self) -> Option<T>;
}

impl<T> Wrapped<T> for Option<Box<T>> {
    fn into_record(self) -> Option<T> {
        self.map(|inner| *inner)
    }
}

impl<T> Wrapped<T> for Box<Option<T>> {
    fn into_record(self) -> Option<T> {
        *self
    }
}

macro_rules! bare {
    ($($model:ident . $key:ident),* $(,)?) => {
        $(
            impl Bare for types::$model {
                fn into_bare(mut self) -> Self {
                    let wrapped = std::mem::take(&mut self.$key);
                    Wrapped::into_record(wrapped).unwrap_or(self)
                }
            }
        )*
    };
}

bare!(
    AccessRequest.access_request,
    Asset.asset,
    AssetDataVersion.asset_data_version,
    AutoTag.auto_tag,
    BulkJob.bulk_job,
    Collection.collection,
    CollectionShare.collection_share,
    Comment.comment,
    Contribution.contribution,
    CreatorTag.creator_tag,
    CropPreset.crop_preset,
    CustomMetaField.custom_meta_field,
    FilterGroup.filter_group,
    Invite.invite,
    Lightbox.lightbox,
    Membership.membership,
    MetaImport.meta_import,
    Organization.organization,
    Permission.permission,
    PersonalAccessToken.personal_access_token,
    RightsPackage.rights_package,
    SearchQuery.search_query,
    Share.share,
    ShareLink.share_link,
    StorageFolder.storage_folder,
    Tag.tag,
    Tagging.tagging,
    Taxonomy.taxonomy,
    TaxonomyTag.taxonomy_tag,
    UploadSession.upload,
    UserGroup.user_group,
    Webhook.webhook,
    Workflow.workflow,
    WorkflowStep.workflow_step,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_and_bare_answers_give_the_record() {
        let bare: types::Asset = serde_json::from_str(r#"{"id": 7, "filename": "a.jpg"}"#).unwrap();
        let wrapped: types::Asset = serde_json::from_str(r#"{"asset": {"id": 7, "filename": "a.jpg"}}"#).unwrap();
        assert_eq!(wrapped.clone().into_bare(), bare);
        assert_eq!(bare.clone().into_bare(), bare);
        assert_eq!(wrapped.into_bare().filename.as_deref(), Some("a.jpg"));
    }
}
