/**
 * Ansible's task selection by tags (playbook/taggable.py evaluate_tags, cli/__init__.py):
 * repeated `--tags`/`--skip-tags` accumulate (comma lists split, union); no `--tags` means `all`;
 * `--tags ''` selects only `always` tasks; `always`, `never`, `tagged`, `untagged`, `all` are
 * special, and `all` in the skip list is one branch of an if/elif chain, as in Ansible.
 *
 * @example
 * const f = parseTagOptions(['web', 'db,cache'], ['slow']);
 * evaluateTags(['web'], f) // true
 */

export interface TagSelection {
  /** The `--tags` set (`all` when none was given). */
  only: ReadonlySet<string>;
  skip: ReadonlySet<string>;
}

/** Each option value may be a comma list; values from repeated options are united. */
export function parseTagOptions(tags: readonly string[] | undefined, skipTags: readonly string[] | undefined): TagSelection {
  const split = (vals: readonly string[]) => new Set(vals.flatMap((v) => v.split(',').map((t) => t.trim())));
  return { only: tags && tags.length ? split(tags) : new Set(['all']), skip: split(skipTags ?? []) };
}

/** Whether a task with these (inherited) tags runs. */
export function evaluateTags(taskTags: readonly string[], sel: TagSelection): boolean {
  const tags = taskTags.length ? new Set(taskTags) : new Set(['untagged']);
  const untagged = taskTags.length === 0;
  const meets = (set: ReadonlySet<string>) => [...tags].some((t) => set.has(t));
  const { only, skip } = sel;
  let run = true;
  if (only.size) {
    if (tags.has('always')) run = true;
    else if (only.has('all') && !tags.has('never')) run = true;
    else if (meets(only)) run = true;
    else if (only.has('tagged') && !untagged && !tags.has('never')) run = true;
    else run = false;
  }
  if (run && skip.size) {
    if (skip.has('all')) {
      if (!tags.has('always') || skip.has('always')) run = false;
    } else if (meets(skip)) run = false;
    else if (skip.has('tagged') && !untagged) run = false;
  }
  return run;
}
