//! Reading Backstage catalog YAML (multi-document files) into a [`Catalog`].

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use serde_yaml::Value;

use super::{Catalog, EntityRef, Group, Relations, User};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog file {}: {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error("catalog file {}, document {document}{}: {message}", path.display(), entity.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Entity { path: PathBuf, document: usize, entity: Option<String>, message: String },
    #[error("catalog pattern {pattern:?}: {message}")]
    Pattern { pattern: String, message: String },
}

/// Loads every file matched by `patterns`. A pattern without wildcards names a file that must
/// exist; a wildcard pattern may match nothing (an empty catalog is valid, just lonely).
pub fn load(patterns: &[String]) -> Result<Catalog, CatalogError> {
    let mut files = Vec::new();
    for pattern in patterns {
        let is_glob = pattern.contains(['*', '?', '[']);
        let matches = glob::glob(pattern)
            .map_err(|e| CatalogError::Pattern { pattern: pattern.clone(), message: e.to_string() })?;
        let mut found = false;
        for entry in matches {
            let path = entry.map_err(|e| CatalogError::Pattern { pattern: pattern.clone(), message: e.to_string() })?;
            if path.is_file() {
                found = true;
                files.push(path);
            }
        }
        if !found && !is_glob {
            return Err(CatalogError::Pattern { pattern: pattern.clone(), message: "no such file".into() });
        }
    }
    files.sort();
    files.dedup();
    let mut builder = Builder::default();
    for path in &files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CatalogError::File { path: path.clone(), message: e.to_string() })?;
        builder.add_file(path, &text)?;
    }
    Ok(builder.finish())
}

#[derive(Default)]
struct Builder {
    users: Vec<User>,
    groups: Vec<Group>,
    owners: HashMap<EntityRef, EntityRef>,
    relations: Relations,
    defined: HashMap<EntityRef, (PathBuf, usize)>,
}

/// The part of an entity Herald reads; everything else in the file is ignored.
#[derive(Deserialize)]
struct RawEntity {
    kind: String,
    metadata: RawMetadata,
    #[serde(default)]
    spec: RawSpec,
}

#[derive(Deserialize)]
struct RawMetadata {
    name: String,
    namespace: Option<String>,
    title: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawSpec {
    profile: Option<RawProfile>,
    #[serde(default)]
    member_of: Vec<String>,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    children: Vec<String>,
    parent: Option<String>,
    owner: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfile {
    display_name: Option<String>,
    email: Option<String>,
}

impl Builder {
    fn add_file(&mut self, path: &Path, text: &str) -> Result<(), CatalogError> {
        for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let document_no = index + 1;
            let fail = |entity: Option<String>, message: String| CatalogError::Entity {
                path: path.to_owned(),
                document: document_no,
                entity,
                message,
            };
            let value = Value::deserialize(document).map_err(|e| fail(None, format!("invalid YAML: {e}")))?;
            if value.is_null() {
                continue;
            }
            let raw: RawEntity = serde_yaml::from_value(value).map_err(|e| fail(None, e.to_string()))?;
            self.add_entity(path, document_no, raw).map_err(|(entity, message)| fail(entity, message))?;
        }
        Ok(())
    }

    fn add_entity(&mut self, path: &Path, document: usize, raw: RawEntity) -> Result<(), (Option<String>, String)> {
        let namespace = raw.metadata.namespace.as_deref().unwrap_or(super::DEFAULT_NAMESPACE);
        let label = format!("{}:{namespace}/{}", raw.kind, raw.metadata.name);
        let fail = |message: String| (Some(label.clone()), message);
        if !valid_name(&raw.metadata.name) {
            return Err(fail("metadata.name must be 1-63 characters of a-z A-Z 0-9 - _ .".into()));
        }
        if !valid_name(namespace) {
            return Err(fail("metadata.namespace must be 1-63 characters of a-z A-Z 0-9 - _ .".into()));
        }
        let me = EntityRef::parse_with(&label, None, namespace).map_err(|e| fail(e.to_string()))?;
        if let Some((first_path, first_document)) = self.defined.get(&me) {
            return Err(fail(format!("defined twice; first in {}, document {first_document}", first_path.display())));
        }
        self.defined.insert(me.clone(), (path.to_owned(), document));
        // Relation targets default to the entity's own namespace, as in the Backstage catalog.
        let target = |field: &str, text: &str, kind: &str| {
            EntityRef::parse_with(text, Some(kind), namespace).map_err(|e| fail(format!("spec.{field}: {e}")))
        };
        let profile = raw.spec.profile.unwrap_or(RawProfile { display_name: None, email: None });
        match me.kind() {
            "user" => {
                for group in &raw.spec.member_of {
                    self.relations.member_of.push((me.clone(), target("memberOf", group, "group")?));
                }
                let display_name = profile.display_name.or(raw.metadata.title);
                self.users.push(User { entity_ref: me, display_name, email: profile.email });
            }
            "group" => {
                for user in &raw.spec.members {
                    self.relations.member_of.push((target("members", user, "user")?, me.clone()));
                }
                for child in &raw.spec.children {
                    self.relations.parent_of.push((me.clone(), target("children", child, "group")?));
                }
                if let Some(parent) = &raw.spec.parent {
                    self.relations.parent_of.push((target("parent", parent, "group")?, me.clone()));
                }
                let display_name = profile.display_name.or(raw.metadata.title);
                self.groups.push(Group { entity_ref: me, display_name });
            }
            _ => {
                if let Some(owner) = &raw.spec.owner {
                    self.owners.insert(me, target("owner", owner, "group")?);
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Catalog {
        Catalog::new(self.users, self.groups, self.owners, self.relations)
    }
}

fn valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<Catalog, CatalogError> {
        let mut builder = Builder::default();
        builder.add_file(Path::new("test.yaml"), text)?;
        Ok(builder.finish())
    }

    fn r(text: &str) -> EntityRef {
        EntityRef::parse(text).unwrap()
    }

    const ORG: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: Alice
spec:
  profile:
    displayName: Alice Adams
    email: alice@example.com
  memberOf: [team-a]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  parent: engineering
  members: [user:default/bob]
  children: []
---
kind: group
metadata:
  name: engineering
spec:
  type: department
---
kind: User
metadata: { name: bob }
---
kind: Component
metadata: { name: herald, namespace: tools }
spec: { owner: group:default/team-a, type: service }
---
"#;

    #[test]
    fn users_groups_and_owners_are_read_from_multi_document_yaml() {
        let catalog = build(ORG).unwrap();
        let alice = catalog.user(&r("user:alice")).expect("alice is in the catalog");
        assert_eq!(alice.display_name.as_deref(), Some("Alice Adams"));
        assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
        assert_eq!(catalog.user_count(), 2);
        assert_eq!(catalog.group_count(), 2);
        let reached = catalog.resolve_recipients(&[r("component:tools/herald")], &Default::default());
        assert_eq!(reached.len(), 2);
        let owned: Vec<String> = catalog.ownership_refs(&r("user:bob")).iter().map(|r| r.to_string()).collect();
        assert_eq!(owned, ["user:default/bob", "group:default/team-a", "group:default/engineering"]);
    }

    #[test]
    fn a_duplicate_entity_is_an_error_naming_both_places() {
        let error = build("kind: User\nmetadata: {name: a}\n---\nkind: User\nmetadata: {name: A}\n").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("document 2") && text.contains("first in test.yaml, document 1"), "{text}");
    }

    #[test]
    fn a_bad_entity_names_file_document_and_entity() {
        let error = build(
            "kind: User\nmetadata: {name: ok}\n---\nkind: Group\nmetadata: {name: g}\nspec: {members: [\"user:\"]}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("test.yaml") && error.contains("document 2") && error.contains("Group:default/g"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_name_is_an_error() {
        let error = build("kind: User\nmetadata: {title: x}\n").unwrap_err().to_string();
        assert!(error.contains("document 1") && error.contains("name"), "{error}");
    }

    #[test]
    fn invalid_yaml_is_an_error() {
        assert!(build("kind: [unclosed\n").is_err());
    }
}
