//! The shape of an executed response, made to follow the GraphQL specification where
//! async-graphql 7 does not:
//!
//! - A field error leaves async-graphql's answer without the field's key (and an object
//!   whose every field failed becomes `null`, a lone failing root field `data: null`).
//!   The specification ("Handling Field Errors") wants the field present as `null`, and
//!   a `null` in a non-null field to make its nearest nullable parent `null`.
//! - Fields resolve concurrently and async-graphql writes each key when its value is
//!   ready; the specification wants the keys in the order of the selection set
//!   (CollectFields).
//!
//! [`Shapes::complete`] rebuilds `data` by walking the operation's selection sets over
//! the schema's types (read once from the exported SDL): fields are collected as the
//! specification's CollectFields does (fragments, type conditions, `@skip`/`@include`
//! with the request's variables), every key is written in that order, and a missing key
//! or a `null` is completed by the field's type. It is one pass over the answer and holds
//! for every field of the schema, present and future, because nothing in it names a
//! field. See docs/decisions.md.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use async_graphql::parser::Positioned;
use async_graphql::{
    Name, PathSegment, ServerError, Value, Variables,
    indexmap::IndexMap,
    parser::types::{
        BaseType, Directive, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet, Type, TypeKind, TypeSystemDefinition,
    },
};

/// What the completion needs to know of one named type.
enum Shape {
    Object(HashMap<String, Type>),
    /// An interface or union: its possible object types.
    Abstract(Vec<String>),
}

/// The schema's composite types, by name.
pub struct Shapes {
    types: HashMap<String, Shape>,
    query: String,
    mutation: String,
}

/// A `null` reached a non-null position and travels to the nearest nullable parent.
struct NullInNonNull;

/// The response keys CollectFields yields for one object type, in order, each with its
/// field name and the selection sets merged under it.
type Collected<'a> = Vec<(&'a str, &'a str, Vec<&'a SelectionSet>)>;

impl Shapes {
    /// Read the types from the schema's SDL. An SDL that does not parse (it always does:
    /// async-graphql writes it) gives an empty model, under which answers pass unchanged.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shapes = Self {
            types: HashMap::new(),
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the schema's SDL does not parse; responses are not completed");
            return shapes;
        };
        let mut implementers: HashMap<String, Vec<String>> = HashMap::new();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        shapes.query = query.node.to_string();
                    }
                    if let Some(mutation) = &schema.node.mutation {
                        shapes.mutation = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    let fields = match &ty.node.kind {
                        TypeKind::Object(object) => {
                            for interface in &object.implements {
                                implementers
                                    .entry(interface.node.to_string())
                                    .or_default()
                                    .push(name.clone());
                            }
                            &object.fields
                        }
                        TypeKind::Interface(_) => {
                            shapes.types.insert(name, Shape::Abstract(Vec::new()));
                            continue;
                        }
                        TypeKind::Union(union) => {
                            let members = union.members.iter().map(|m| m.node.to_string());
                            shapes
                                .types
                                .insert(name, Shape::Abstract(members.collect()));
                            continue;
                        }
                        _ => continue,
                    };
                    let fields = fields
                        .iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                        .collect();
                    shapes.types.insert(name, Shape::Object(fields));
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        for (interface, objects) in implementers {
            if let Some(Shape::Abstract(possible)) = shapes.types.get_mut(&interface) {
                *possible = objects;
            }
        }
        shapes
    }

    /// Complete `data` of an executed operation (see the module documentation).
    pub fn complete(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
        response: &mut async_graphql::Response,
    ) {
        let Some(operation) = operation(document, operation_name) else {
            return;
        };
        // Refused before execution (or stopped as a whole): nothing to complete.
        let executed =
            response.data != Value::Null || response.errors.iter().any(|e| !e.path.is_empty());
        if !executed {
            return;
        }
        let root = match operation.ty {
            OperationType::Mutation => &self.mutation,
            _ => &self.query,
        };
        let walk = Walk {
            shapes: self,
            document,
            operation,
            variables,
            errors: &response.errors,
            collected: Default::default(),
        };
        let data = std::mem::take(&mut response.data);
        let data = match data {
            Value::Null => Value::Object(IndexMap::new()),
            data => data,
        };
        let mut path = Vec::new();
        response.data = walk
            .object(data, root, &[&operation.selection_set.node], &mut path)
            .unwrap_or(Value::Null);
    }
}

fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

struct Walk<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    errors: &'a [ServerError],
    /// CollectFields of one object type over one selection set, computed once per walk:
    /// every item of a list shares it. Keyed by the addresses of the type's name and of
    /// the set, which live as long as the walk.
    collected: RefCell<HashMap<(usize, usize), Rc<Collected<'a>>>>,
}

impl<'a> Walk<'a> {
    /// The path of the value being completed is only read to find errors, so an answer
    /// without errors does not build it.
    fn enter(&self, path: &mut Vec<PathSegment>, segment: impl FnOnce() -> PathSegment) {
        if !self.errors.is_empty() {
            path.push(segment());
        }
    }

    fn leave(&self, path: &mut Vec<PathSegment>) {
        if !self.errors.is_empty() {
            path.pop();
        }
    }

    /// Whether an error was raised at `path` or below it (`strictly`: below only).
    fn error_at(&self, path: &[PathSegment], strictly: bool) -> bool {
        self.errors.iter().any(|e| {
            e.path.len() >= path.len() + usize::from(strictly) && e.path[..path.len()] == *path
        })
    }

    /// Complete one value of type `ty`; `None` is a missing key.
    fn value(
        &self,
        value: Option<Value>,
        ty: &'a Type,
        sets: &[&'a SelectionSet],
        path: &mut Vec<PathSegment>,
    ) -> Result<Value, NullInNonNull> {
        let null = if ty.nullable {
            Ok(Value::Null)
        } else {
            Err(NullInNonNull)
        };
        let value = match value {
            None => return null,
            // An object whose every field failed comes back as `null`; it was there.
            Some(Value::Null) => match &ty.base {
                BaseType::Named(name)
                    if self.shapes.types.contains_key(name.as_str())
                        && self.error_at(path, true) =>
                {
                    Value::Object(IndexMap::new())
                }
                _ => return null,
            },
            Some(value) => value,
        };
        let completed = match (&ty.base, value) {
            (BaseType::List(item), Value::List(items)) => {
                let mut completed = Vec::with_capacity(items.len());
                for (index, value) in items.into_iter().enumerate() {
                    self.enter(path, || PathSegment::Index(index));
                    let item = self.value(Some(value), item, sets, path);
                    self.leave(path);
                    completed.push(item);
                }
                completed
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            }
            (BaseType::Named(name), value @ Value::Object(_)) => {
                self.object(value, name.as_str(), sets, path)
            }
            // Scalars, enums, and anything the model does not know pass unchanged.
            (_, value) => Ok(value),
        };
        completed.or(null)
    }

    /// Complete an object of the (possibly abstract) type `type_name`.
    fn object(
        &self,
        value: Value,
        type_name: &'a str,
        sets: &[&'a SelectionSet],
        path: &mut Vec<PathSegment>,
    ) -> Result<Value, NullInNonNull> {
        let Value::Object(mut map) = value else {
            return Ok(value);
        };
        let Some((concrete, fields)) = self.concrete(type_name, &map, sets, path) else {
            return Ok(Value::Object(map));
        };
        let collected = self.collect_once(concrete, sets);
        if map.len() == collected.len()
            && map
                .keys()
                .zip(collected.iter())
                .all(|(present, (key, ..))| present.as_str() == *key)
        {
            // Every key is present and in order (the usual answer): complete the values
            // where they are.
            for (value, (key, field, subsets)) in map.values_mut().zip(collected.iter()) {
                if let Some(ty) = fields.get(*field) {
                    self.enter(path, || PathSegment::Field((*key).to_owned()));
                    let completed = self.value(Some(std::mem::take(value)), ty, subsets, path);
                    self.leave(path);
                    *value = completed?;
                }
            }
            return Ok(Value::Object(map));
        }
        let mut completed = IndexMap::with_capacity(map.len());
        for (key, field, subsets) in collected.iter() {
            // The old map's order is not kept, so taking a key out of it is O(1), and
            // its name is used again.
            let (name, value) = match map.swap_remove_full(*key) {
                Some((_, name, value)) => (name, Some(value)),
                None => (Name::new(key), None),
            };
            let value = if *field == "__typename" {
                value.unwrap_or_else(|| Value::String(concrete.to_owned()))
            } else if let Some(ty) = fields.get(*field) {
                self.enter(path, || PathSegment::Field((*key).to_owned()));
                let value = self.value(value, ty, subsets, path);
                self.leave(path);
                value?
            } else {
                // `__schema`, `__type`: answered by async-graphql, never failing.
                value.unwrap_or(Value::Null)
            };
            completed.insert(name, value);
        }
        Ok(Value::Object(completed))
    }

    /// The object type an answer object has, with its fields. For an interface or union,
    /// `__typename` tells when the client asked for it; otherwise the possible type whose
    /// collected keys are exactly the keys present plus those that failed.
    fn concrete(
        &self,
        type_name: &'a str,
        map: &IndexMap<Name, Value>,
        sets: &[&'a SelectionSet],
        path: &[PathSegment],
    ) -> Option<(&'a str, &'a HashMap<String, Type>)> {
        match self.shapes.types.get(type_name)? {
            Shape::Object(fields) => Some((type_name, fields)),
            Shape::Abstract(possible) => {
                let typename = self.typename_key(sets).and_then(|key| match map.get(key) {
                    Some(Value::String(name)) => Some(name.as_str()),
                    _ => None,
                });
                let fits = |candidate: &str| {
                    let keys = self.collect(candidate, sets);
                    map.keys()
                        .all(|k| keys.iter().any(|(key, ..)| *key == k.as_str()))
                        && keys.iter().all(|(key, ..)| {
                            map.contains_key(*key) || {
                                let mut at = path.to_vec();
                                at.push(PathSegment::Field((*key).to_owned()));
                                self.error_at(&at, false)
                            }
                        })
                };
                let name = match typename {
                    Some(name) => possible.iter().find(|p| p.as_str() == name)?,
                    None => possible.iter().find(|p| fits(p))?,
                };
                match self.shapes.types.get(name.as_str())? {
                    Shape::Object(fields) => Some((name.as_str(), fields)),
                    Shape::Abstract(_) => None,
                }
            }
        }
    }

    /// The response key of a `__typename` selected on an abstract type outside any type
    /// condition.
    fn typename_key(&self, sets: &[&'a SelectionSet]) -> Option<&'a str> {
        sets.iter().find_map(|set| {
            set.items.iter().find_map(|s| match &s.node {
                Selection::Field(f)
                    if f.node.name.node == "__typename" && self.included(&f.node.directives) =>
                {
                    Some(f.node.response_key().node.as_str())
                }
                _ => None,
            })
        })
    }

    /// [`Walk::collect`], remembered for a single selection set (the usual case: merged
    /// sets come only from a response key selected twice).
    fn collect_once(&self, object: &str, sets: &[&'a SelectionSet]) -> Rc<Collected<'a>> {
        let [set] = sets else {
            return Rc::new(self.collect(object, sets));
        };
        let key = (
            object.as_ptr() as usize,
            std::ptr::from_ref::<SelectionSet>(set) as usize,
        );
        if let Some(found) = self.collected.borrow().get(&key) {
            return found.clone();
        }
        let found = Rc::new(self.collect(object, sets));
        self.collected.borrow_mut().insert(key, found.clone());
        found
    }

    /// CollectFields for the object type `object` over the merged selection sets.
    fn collect(&self, object: &str, sets: &[&'a SelectionSet]) -> Collected<'a> {
        let mut collected: Collected<'a> = Vec::new();
        let mut visited = Vec::new();
        for set in sets {
            self.collect_into(object, set, &mut collected, &mut visited);
        }
        collected
    }

    fn collect_into(
        &self,
        object: &str,
        set: &'a SelectionSet,
        collected: &mut Collected<'a>,
        visited: &mut Vec<&'a str>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !self.included(&field.node.directives) {
                        continue;
                    }
                    let key = field.node.response_key().node.as_str();
                    let sub = &field.node.selection_set.node;
                    match collected.iter_mut().find(|(k, ..)| *k == key) {
                        Some((_, _, sets)) => sets.push(sub),
                        None => collected.push((key, field.node.name.node.as_str(), vec![sub])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if !self.included(&spread.node.directives) || visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.applies(object, fragment.node.type_condition.node.on.node.as_str()) {
                        self.collect_into(
                            object,
                            &fragment.node.selection_set.node,
                            collected,
                            visited,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    if !self.included(&inline.node.directives) {
                        continue;
                    }
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.applies(object, c.node.on.node.as_str()));
                    if applies {
                        self.collect_into(
                            object,
                            &inline.node.selection_set.node,
                            collected,
                            visited,
                        );
                    }
                }
            }
        }
    }

    /// DoesFragmentTypeApply.
    fn applies(&self, object: &str, condition: &str) -> bool {
        object == condition
            || matches!(
                self.shapes.types.get(condition),
                Some(Shape::Abstract(possible)) if possible.iter().any(|p| p == object)
            )
    }

    /// `@skip(if:)` and `@include(if:)`, with the request's variables.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|d| match d.node.name.node.as_str() {
            "skip" => !self.condition(&d.node),
            "include" => self.condition(&d.node),
            _ => true,
        })
    }

    fn condition(&self, directive: &Directive) -> bool {
        let Some(value) = directive.get_argument("if") else {
            return false;
        };
        let value = value.node.clone().into_const_with(|name| {
            self.variables
                .get(&name)
                .cloned()
                .or_else(|| {
                    self.operation
                        .variable_definitions
                        .iter()
                        .find(|v| v.node.name.node == name)
                        .and_then(|v| v.node.default_value.as_ref().map(|d| d.node.clone()))
                })
                .ok_or(())
        });
        matches!(value, Ok(Value::Boolean(true)))
    }
}
