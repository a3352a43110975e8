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

macro_rules! bare {
    ($($model:ident . $key:ident),* $(,)?) => {
        $(
            impl Bare for types::$model {
                fn into_bare(self) -> Self {
                    match self.$key {
                        Some(inner) => *inner,
                        None => self,
                    }
                }
            }
        )*
    };
}

bare!(
    Asset.asset,
    AssetDataVersion.asset_data_version,
    Collection.collection,
    Lightbox.lightbox,
    Membership.membership,
    Organization.organization,
    StorageFolder.storage_folder,
    Tag.tag,
    Taxonomy.taxonomy,
    TaxonomyTag.taxonomy_tag,
    UploadSession.upload,
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
