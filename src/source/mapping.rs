use std::str::FromStr;

use crate::identity::Namespace;

use super::{Column, SourceError};

/// Names a column: by its header text or by its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRef {
    Name(String),
    Position(usize),
}

/// One `--map COLUMN=NAMESPACE` override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    pub column: ColumnRef,
    pub namespace: Namespace,
}

impl FromStr for MapSpec {
    type Err = SourceError;

    /// The last `=` splits, so a header may itself contain `=`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (column, namespace) = spec
            .rsplit_once('=')
            .filter(|(c, _)| !c.trim().is_empty())
            .ok_or_else(|| SourceError::BadMapping(spec.to_owned()))?;
        let namespace = namespace.parse()?;
        let column = column.trim();
        let column = match column.parse::<usize>() {
            Ok(n) if n > 0 => ColumnRef::Position(n),
            _ => ColumnRef::Name(column.to_owned()),
        };
        Ok(MapSpec { column, namespace })
    }
}

impl MapSpec {
    /// Finds the column this spec names: an exact header first, then a header that differs
    /// only in case and surrounding spaces, then a position.
    pub fn resolve(&self, columns: &[Column]) -> Result<usize, SourceError> {
        let by_name = |name: &str| {
            columns.iter().position(|c| c.name == name).or_else(|| {
                columns
                    .iter()
                    .position(|c| c.name.trim().eq_ignore_ascii_case(name.trim()))
            })
        };
        let found = match &self.column {
            ColumnRef::Name(name) => by_name(name),
            ColumnRef::Position(n) => {
                by_name(&n.to_string()).or_else(|| (*n <= columns.len()).then(|| n - 1))
            }
        };
        found.ok_or_else(|| SourceError::UnknownColumn {
            name: match &self.column {
                ColumnRef::Name(name) => name.clone(),
                ColumnRef::Position(n) => n.to_string(),
            },
            available: crate::display::quoted_names(columns.iter().map(|c| c.name.as_str())),
        })
    }

    /// Applies the override to the column it names.
    pub fn apply(&self, columns: &mut [Column]) -> Result<(), SourceError> {
        let index = self.resolve(columns)?;
        let column = &mut columns[index];
        column.namespace = self.namespace;
        column.reason = "set by you".into();
        column.guessed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        ["Email", "a=b", "notes"]
            .iter()
            .enumerate()
            .map(|(index, name)| Column {
                index,
                name: name.to_string(),
                namespace: Namespace::Ignore,
                reason: String::new(),
                guessed: false,
            })
            .collect()
    }

    #[test]
    fn parses_and_resolves() {
        let mut cols = columns();
        "email=gaid"
            .parse::<MapSpec>()
            .unwrap()
            .apply(&mut cols)
            .unwrap();
        assert_eq!(cols[0].namespace, Namespace::Gaid);
        "a=b=idfa"
            .parse::<MapSpec>()
            .unwrap()
            .apply(&mut cols)
            .unwrap();
        assert_eq!(cols[1].namespace, Namespace::Idfa);
        "3=email"
            .parse::<MapSpec>()
            .unwrap()
            .apply(&mut cols)
            .unwrap();
        assert_eq!(cols[2].namespace, Namespace::Email);
    }

    #[test]
    fn explains_mistakes() {
        assert!(matches!(
            "email".parse::<MapSpec>(),
            Err(SourceError::BadMapping(_))
        ));
        assert!(matches!(
            "email=phone".parse::<MapSpec>(),
            Err(SourceError::BadNamespace(_))
        ));
        let err = "4=email"
            .parse::<MapSpec>()
            .unwrap()
            .resolve(&columns())
            .unwrap_err();
        assert!(err.to_string().contains("\"notes\""), "{err}");
    }
}
