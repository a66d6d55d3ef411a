//! The set of lessons loaded from a folder: the only place that reads lesson files from disk.
//! A reload keeps the last good version of a file that has become invalid, so a typo never
//! takes a lesson down while it is being edited.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lesson::{Lesson, Problem, Severity, check_lesson};

/// A problem in a lesson file, printed as `path:line:col: message` when it is an error and
/// `path:line:col: warning: message` when it is a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    fn new(path: &Path, problem: Problem) -> Diagnostic {
        Diagnostic {
            path: path.to_path_buf(),
            line: problem.line,
            col: problem.col,
            severity: problem.severity,
            message: problem.message,
        }
    }

    /// Whether this keeps the file's lesson from loading.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}{}",
            self.path.display(),
            self.line,
            self.col,
            match self.severity {
                Severity::Error => "",
                Severity::Warning => "warning: ",
            },
            self.message
        )
    }
}

/// One lesson file's state: the lesson it last validated to and its current diagnostics.
#[derive(Debug, Clone, Default)]
struct FileState {
    lesson: Option<Arc<Lesson>>,
    /// Errors and warnings, by position (errors the catalog finds, such as a duplicate lesson
    /// id, come last).
    problems: Vec<Diagnostic>,
    /// A hash of the source last read, and the lesson that exact source validated to (if it
    /// did): a reload reuses it when the file has not changed.
    source_hash: u64,
    validated: Option<Arc<Lesson>>,
}

/// What checking one file's source gave: its lesson, unless it has errors, and its errors and
/// warnings by position.
struct Validated {
    lesson: Option<Arc<Lesson>>,
    problems: Vec<Diagnostic>,
}

/// Every lesson of a folder, sorted for the index.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    files: BTreeMap<PathBuf, FileState>,
    lessons: Vec<Arc<Lesson>>,
    by_id: HashMap<String, usize>,
}

impl Catalog {
    /// Loads every `*.toml` under `path` (or the one file `path` names).
    pub fn load(path: &Path) -> io::Result<Catalog> {
        Catalog::reload(path, &Catalog::default())
    }

    /// Loads again; a file that is now invalid keeps the lesson it had in `previous`, and a
    /// file that has not changed keeps its lesson without being validated again.
    pub fn reload(path: &Path, previous: &Catalog) -> io::Result<Catalog> {
        let paths = lesson_files(path)?;
        let results = validate_all(&paths, previous)?;
        let mut files = BTreeMap::new();
        for (file, (source_hash, result)) in paths.into_iter().zip(results) {
            let state = match result.lesson {
                Some(lesson) => FileState {
                    lesson: Some(lesson.clone()),
                    problems: result.problems,
                    source_hash,
                    validated: Some(lesson),
                },
                None => FileState {
                    lesson: previous.files.get(&file).and_then(|s| s.lesson.clone()),
                    problems: result.problems,
                    source_hash,
                    validated: None,
                },
            };
            files.insert(file, state);
        }
        Ok(Catalog::from_files(files))
    }

    fn from_files(mut files: BTreeMap<PathBuf, FileState>) -> Catalog {
        // A lesson id claimed by an earlier file (in path order) wins; later claimants are errors.
        let mut owner: HashMap<String, PathBuf> = HashMap::new();
        for (path, state) in files.iter_mut() {
            let Some(lesson) = &state.lesson else {
                continue;
            };
            if let Some(first) = owner.get(&lesson.id) {
                state.problems.push(Diagnostic {
                    path: path.clone(),
                    line: 1,
                    col: 1,
                    severity: Severity::Error,
                    message: format!(
                        "duplicate lesson id `{}` (already used by {})",
                        lesson.id,
                        first.display()
                    ),
                });
                state.lesson = None;
            } else {
                owner.insert(lesson.id.clone(), path.clone());
            }
        }
        let mut lessons: Vec<Arc<Lesson>> =
            files.values().filter_map(|s| s.lesson.clone()).collect();
        lessons.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.title.cmp(&b.title)));
        let by_id = lessons
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        Catalog {
            files,
            lessons,
            by_id,
        }
    }

    /// The lessons being served, in index order.
    pub fn lessons(&self) -> &[Arc<Lesson>] {
        &self.lessons
    }

    /// The lesson with this id.
    pub fn lesson(&self, id: &str) -> Option<&Arc<Lesson>> {
        self.by_id.get(id).map(|&i| &self.lessons[i])
    }

    /// Every current error (a file that does not load), by file then position.
    pub fn problems(&self) -> Vec<&Diagnostic> {
        self.diagnostics()
            .into_iter()
            .filter(|d| d.is_error())
            .collect()
    }

    /// Every current warning (worth fixing; the lesson loads), by file then position.
    pub fn warnings(&self) -> Vec<&Diagnostic> {
        self.diagnostics()
            .into_iter()
            .filter(|d| !d.is_error())
            .collect()
    }

    /// Every current error and warning, by file then position.
    pub fn diagnostics(&self) -> Vec<&Diagnostic> {
        self.files.values().flat_map(|s| &s.problems).collect()
    }

    /// The errors of the file that currently serves (or last served) `lesson_id`.
    pub fn problems_for(&self, lesson_id: &str) -> Vec<&Diagnostic> {
        self.files
            .values()
            .filter(|s| s.lesson.as_ref().is_some_and(|l| l.id == lesson_id))
            .flat_map(|s| &s.problems)
            .filter(|d| d.is_error())
            .collect()
    }

    /// How many lesson files were read.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Total questions in all served lessons' pools.
    pub fn question_count(&self) -> usize {
        self.lessons
            .iter()
            .filter_map(|l| l.quiz.as_ref())
            .map(|q| q.questions.len())
            .sum()
    }
}

fn source_hash(source: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut hasher);
    hasher.finish()
}

/// Reads and validates one file, or takes its lesson (and warnings) from `previous` when the
/// file has not changed; returns the source's hash with the outcome.
fn validate_file(file: &Path, previous: &Catalog) -> io::Result<(u64, Validated)> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    let hash = source_hash(&source);
    let unchanged = previous
        .files
        .get(file)
        .filter(|s| s.source_hash == hash)
        .and_then(|s| Some((s.validated.clone()?, &s.problems)));
    if let Some((lesson, problems)) = unchanged {
        // A valid file's own diagnostics are warnings; the catalog's errors are found afresh.
        let warnings = problems.iter().filter(|d| !d.is_error()).cloned().collect();
        return Ok((
            hash,
            Validated {
                lesson: Some(lesson),
                problems: warnings,
            },
        ));
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let checked = check_lesson(&source, &stem);
    let (lesson, mut problems) = match checked.lesson {
        Ok(lesson) => (Some(Arc::new(lesson)), Vec::new()),
        Err(errors) => (None, errors),
    };
    problems.extend(checked.warnings);
    problems.sort();
    Ok((
        hash,
        Validated {
            lesson,
            problems: problems
                .into_iter()
                .map(|p| Diagnostic::new(file, p))
                .collect(),
        },
    ))
}

/// Validates every file, spread over the machine's cores (a course of a thousand lessons
/// loads in a fraction of the time on one). Each worker reads a file only when it gets to
/// it, so the sources are never all in memory at once.
fn validate_all(files: &[PathBuf], previous: &Catalog) -> io::Result<Vec<(u64, Validated)>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || files.len() < 8 {
        return files.iter().map(|f| validate_file(f, previous)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| validate_file(f, previous))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// `*.toml` files under `path`, sorted; `path` itself when it is a file.
fn lesson_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: &str = include_str!("../tests/fixtures/good/all-kinds.toml");

    #[test]
    fn a_reload_keeps_unchanged_lessons_and_validates_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        // Enough files that validation runs on several threads.
        for n in 0..12 {
            let source = LESSON.replace("Fixture: every kind", &format!("Lesson {n}"));
            std::fs::write(dir.path().join(format!("l{n:02}.toml")), source).unwrap();
        }
        let first = Catalog::load(dir.path()).unwrap();
        assert_eq!(first.lessons().len(), 12);
        assert!(first.problems().is_empty());

        std::fs::write(
            dir.path().join("l03.toml"),
            LESSON.replace("Fixture: every kind", "Edited"),
        )
        .unwrap();
        let second = Catalog::reload(dir.path(), &first).unwrap();

        for id in ["l00", "l11"] {
            assert!(Arc::ptr_eq(
                first.lesson(id).unwrap(),
                second.lesson(id).unwrap()
            ));
        }
        assert_eq!(second.lesson("l03").unwrap().title, "Edited");
        assert_eq!(first.lesson("l03").unwrap().title, "Lesson 3");
    }

    #[test]
    fn warnings_do_not_stop_a_lesson_loading_and_survive_a_reload_of_the_unchanged_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("objectives.toml");
        std::fs::write(
            &file,
            include_str!("../tests/fixtures/warn/objectives.toml"),
        )
        .unwrap();
        let first = Catalog::load(dir.path()).unwrap();
        assert!(first.lesson("objectives").is_some());
        assert!(first.problems().is_empty());
        let warnings: Vec<String> = first.warnings().iter().map(|w| w.to_string()).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!(
                "{}:11:6: warning: objective `mediator`",
                file.display()
            )),
            "{warnings:?}"
        );

        let second = Catalog::reload(dir.path(), &first).unwrap();
        assert!(Arc::ptr_eq(
            first.lesson("objectives").unwrap(),
            second.lesson("objectives").unwrap()
        ));
        assert_eq!(second.warnings(), first.warnings());
        assert_eq!(second.diagnostics().len(), 2);
    }
}
