//! The catalog: who the users are, which groups they belong to, and who owns what.
//!
//! Read from Backstage-format YAML at start-up. Relations are indexed both ways so that the two
//! questions Herald asks are cheap: "which users does this ref reach?" (sending) and "which refs
//! does this user own?" (signal targeting).

mod entity_ref;
mod load;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};
pub use load::{CatalogError, load};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub entity_ref: EntityRef,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

impl User {
    /// The name to show a person: the profile's display name, or the entity name.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(self.entity_ref.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub entity_ref: EntityRef,
    pub display_name: Option<String>,
}

/// An immutable, fully indexed catalog.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    users: BTreeMap<EntityRef, User>,
    groups: BTreeMap<EntityRef, Group>,
    /// Every other entity with an owner (components, systems, …) → its owner.
    owners: HashMap<EntityRef, EntityRef>,
    /// group → users that are direct members (`spec.members` and users' `spec.memberOf`).
    members: HashMap<EntityRef, Vec<EntityRef>>,
    /// group → direct sub-groups (`spec.children` and children's `spec.parent`).
    children: HashMap<EntityRef, Vec<EntityRef>>,
    /// user or group → groups it belongs to directly (the inverse of the two above).
    parents: HashMap<EntityRef, Vec<EntityRef>>,
}

/// A relation as written in a catalog file, before both directions are indexed.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    pub member_of: Vec<(EntityRef, EntityRef)>,
    pub parent_of: Vec<(EntityRef, EntityRef)>,
}

impl Catalog {
    pub(crate) fn new(
        users: Vec<User>,
        groups: Vec<Group>,
        owners: HashMap<EntityRef, EntityRef>,
        relations: Relations,
    ) -> Self {
        let mut catalog = Catalog {
            users: users.into_iter().map(|u| (u.entity_ref.clone(), u)).collect(),
            groups: groups.into_iter().map(|g| (g.entity_ref.clone(), g)).collect(),
            owners,
            ..Default::default()
        };
        let mut seen = HashSet::new();
        for (user, group) in relations.member_of {
            if seen.insert((user.clone(), group.clone())) {
                catalog.members.entry(group.clone()).or_default().push(user.clone());
                catalog.parents.entry(user).or_default().push(group);
            }
        }
        for (parent, child) in relations.parent_of {
            if seen.insert((child.clone(), parent.clone())) {
                catalog.children.entry(parent.clone()).or_default().push(child.clone());
                catalog.parents.entry(child).or_default().push(parent);
            }
        }
        catalog
    }

    pub fn user(&self, entity_ref: &EntityRef) -> Option<&User> {
        self.users.get(entity_ref)
    }

    pub fn group(&self, entity_ref: &EntityRef) -> Option<&Group> {
        self.groups.get(entity_ref)
    }

    /// Users ordered by their label, for people choosing one.
    pub fn users(&self) -> Vec<&User> {
        let mut users: Vec<&User> = self.users.values().collect();
        users.sort_by_cached_key(|u| (u.label().to_lowercase(), u.entity_ref.clone()));
        users
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The user's own ref plus every group it belongs to, directly or through parent groups.
    /// A signal or notification addressed to any of these reaches the user.
    pub fn ownership_refs(&self, user: &EntityRef) -> Vec<EntityRef> {
        let mut refs = vec![user.clone()];
        let mut seen: HashSet<&EntityRef> = HashSet::from([user]);
        let mut queue: VecDeque<&EntityRef> = VecDeque::from([user]);
        while let Some(next) = queue.pop_front() {
            for group in self.parents.get(next).into_iter().flatten() {
                if seen.insert(group) {
                    refs.push(group.clone());
                    queue.push_back(group);
                }
            }
        }
        refs
    }

    /// The users a send to `targets` reaches, minus `excluded`, de-duplicated, in a stable order.
    ///
    /// Users are taken as given (they need not be in the catalog, as upstream allows); groups
    /// expand to their members and, recursively, their sub-groups; any other entity expands
    /// through its owner. An excluded ref stops expansion at that point and removes the user.
    /// Cycles in the group graph terminate.
    pub fn resolve_recipients(&self, targets: &[EntityRef], excluded: &HashSet<EntityRef>) -> Vec<EntityRef> {
        let mut result = Vec::new();
        let mut found: HashSet<&EntityRef> = HashSet::new();
        let mut seen: HashSet<&EntityRef> = HashSet::new();
        let mut queue: VecDeque<&EntityRef> = targets.iter().collect();
        while let Some(next) = queue.pop_front() {
            if !seen.insert(next) || excluded.contains(next) {
                continue;
            }
            if next.is_user() {
                if found.insert(next) {
                    result.push(next.clone());
                }
            } else if self.groups.contains_key(next) {
                queue.extend(self.members.get(next).into_iter().flatten());
                queue.extend(self.children.get(next).into_iter().flatten());
            } else if let Some(owner) = self.owners.get(next) {
                queue.push_back(owner);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> EntityRef {
        EntityRef::parse(text).unwrap()
    }

    fn user(name: &str) -> User {
        User { entity_ref: r(&format!("user:{name}")), display_name: None, email: None }
    }

    fn group(name: &str) -> Group {
        Group { entity_ref: r(&format!("group:{name}")), display_name: None }
    }

    /// engineering ⊃ team-a ⊃ team-a-infra; alice, bob ∈ team-a; carol ∈ team-a-infra;
    /// dave ∈ engineering; component herald owned by team-a, tool owned by erin.
    fn catalog() -> Catalog {
        let relations = Relations {
            member_of: vec![
                (r("user:alice"), r("group:team-a")),
                (r("user:bob"), r("group:team-a")),
                (r("user:carol"), r("group:team-a-infra")),
                (r("user:dave"), r("group:engineering")),
            ],
            parent_of: vec![(r("group:engineering"), r("group:team-a")), (r("group:team-a"), r("group:team-a-infra"))],
        };
        let owners = HashMap::from([(r("component:herald"), r("group:team-a")), (r("component:tool"), r("user:erin"))]);
        Catalog::new(
            ["alice", "bob", "carol", "dave", "erin"].map(user).to_vec(),
            ["engineering", "team-a", "team-a-infra"].map(group).to_vec(),
            owners,
            relations,
        )
    }

    fn names(refs: &[EntityRef]) -> Vec<&str> {
        let mut names: Vec<&str> = refs.iter().map(|r| r.name()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_user_resolves_to_itself_even_outside_the_catalog() {
        let resolved = catalog().resolve_recipients(&[r("user:zed")], &HashSet::new());
        assert_eq!(names(&resolved), ["zed"]);
    }

    #[test]
    fn a_group_reaches_its_members_and_its_sub_groups_members() {
        let resolved = catalog().resolve_recipients(&[r("group:engineering")], &HashSet::new());
        assert_eq!(names(&resolved), ["alice", "bob", "carol", "dave"]);
    }

    #[test]
    fn an_owned_entity_reaches_its_owner() {
        let c = catalog();
        assert_eq!(names(&c.resolve_recipients(&[r("component:herald")], &HashSet::new())), ["alice", "bob", "carol"]);
        assert_eq!(names(&c.resolve_recipients(&[r("component:tool")], &HashSet::new())), ["erin"]);
    }

    #[test]
    fn exclusions_apply_at_every_level() {
        let c = catalog();
        let excluded = HashSet::from([r("group:team-a-infra"), r("user:bob")]);
        assert_eq!(names(&c.resolve_recipients(&[r("group:engineering")], &excluded)), ["alice", "dave"]);
        let excluded = HashSet::from([r("group:team-a")]);
        assert!(c.resolve_recipients(&[r("group:team-a")], &excluded).is_empty());
    }

    #[test]
    fn duplicates_collapse() {
        let resolved =
            catalog().resolve_recipients(&[r("group:team-a"), r("user:alice"), r("user:alice")], &HashSet::new());
        assert_eq!(names(&resolved), ["alice", "bob", "carol"]);
    }

    #[test]
    fn unknown_entities_reach_nobody() {
        assert!(catalog().resolve_recipients(&[r("group:ghosts"), r("system:x")], &HashSet::new()).is_empty());
    }

    #[test]
    fn cyclic_groups_terminate() {
        let relations = Relations {
            member_of: vec![(r("user:alice"), r("group:a"))],
            parent_of: vec![(r("group:a"), r("group:b")), (r("group:b"), r("group:a"))],
        };
        let c = Catalog::new(vec![user("alice")], vec![group("a"), group("b")], HashMap::new(), relations);
        assert_eq!(names(&c.resolve_recipients(&[r("group:b")], &HashSet::new())), ["alice"]);
        assert_eq!(c.ownership_refs(&r("user:alice")).len(), 3);
    }

    #[test]
    fn ownership_includes_groups_transitively() {
        let refs = catalog().ownership_refs(&r("user:carol"));
        let refs: Vec<&str> = refs.iter().map(EntityRef::as_str).collect();
        assert_eq!(
            refs,
            ["user:default/carol", "group:default/team-a-infra", "group:default/team-a", "group:default/engineering"]
        );
    }
}
