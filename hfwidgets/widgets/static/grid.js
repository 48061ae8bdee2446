// The motion grid part: a search box, category buttons and a listbox of motion
// tiles (arrow keys move, Enter/Space select). Reads the traits `items`, `search`,
// `category` and `selected_id`, which MotionGrid and Studio both have.
// Another part may dress the tiles (the Studio's sketches): `ctx.onTile(tile, media,
// item, name)` runs for each tile built, `ctx.onTiles(elements)` once they are in place;
// while `ctx.holdPreviews()` is true no preview loads, and `ctx.releasePreviews()` loads
// those of the tiles in view that were held.

const SEARCH_DEBOUNCE_MS = 200;
const BADGES = ["top_choice", "new", "mix"];
const ALL = "all";

function isAllCategory(category) {
  return !category || category === ALL;
}

function categoryLabel(category, t) {
  if (category === ALL) return t("category_all");
  const words = category.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function partLabel(part) {
  const name = String(part.name ?? part.id ?? "");
  return typeof part.strength === "number" ? `${name} ${Math.round(part.strength * 100)}%` : name;
}

function motionGrid(ctx) {
  const { model, t } = ctx;
  const root = node("div", "hfw-motion-grid");
  const toolbar = node("div", "hfw-motion-toolbar");
  const search = node("input", "hfw-motion-search");
  search.type = "search";
  search.autocomplete = "off";
  search.spellcheck = false;
  const count = node("div", "hfw-motion-count");
  count.setAttribute("aria-live", "polite");
  toolbar.append(search, count);
  const chips = node("div", "hfw-chips");
  chips.setAttribute("role", "group");
  const grid = node("div", "hfw-motion-list");
  grid.setAttribute("role", "listbox");
  const empty = node("div", "hfw-motion-empty");
  root.append(toolbar, chips, grid, empty);

  let tiles = [];
  let tileById = new Map();
  const previewOf = new WeakMap();
  let selectedTile = null;
  let tabStop = null;
  let searchText = model.get("search") || "";
  let searchTimer = null;
  const stills = reducedMotionStills(ctx, grid);

  // Only tiles that come into view load a preview: 1,000 motions must not mean 1,000 requests.
  const visibility = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting || (ctx.holdPreviews && ctx.holdPreviews())) continue;
        visibility.unobserve(entry.target);
        const preview = previewOf.get(entry.target);
        if (preview) setMedia(ctx, preview.img, preview.ref, () => entry.target.classList.add("hfw-preview-failed"));
      }
    },
    { rootMargin: "120px 0px" },
  );
  keepDrafts(ctx, () => searchTimer !== null && ctx.set("search", search.value));
  ctx.cleanup(() => {
    visibility.disconnect();
    clearTimeout(searchTimer);
  });
  ctx.releasePreviews = () => {
    // Observing again reports each tile's visibility at once: those in view load their preview.
    for (const tile of tiles) {
      const preview = previewOf.get(tile.element);
      if (!preview || preview.img.dataset.ref !== undefined) continue;
      visibility.unobserve(tile.element);
      visibility.observe(tile.element);
    }
  };

  // A tile already on the page for this id is rebuilt in place: an element a person (or a
  // test) is about to click stays attached when a new listing arrives.
  function buildTile(item) {
    const id = String(item.id);
    const name = String(item.name ?? id);
    const previous = tileById.get(id);
    const tile = previous ? previous.element : node("div", "hfw-motion-tile");
    if (previous) {
      tile.replaceChildren();
      tile.className = "hfw-motion-tile";
      tile.hidden = false;
    }
    tile.setAttribute("role", "option");
    tile.setAttribute("aria-selected", "false");
    tile.setAttribute("data-motion-id", id);
    tile.tabIndex = -1;
    const tags = Array.isArray(item.tags) ? item.tags.map(String) : [];
    const parts = Array.isArray(item.parts) ? item.parts : [];
    const badgeTags = BADGES.filter((tag) => tags.includes(tag) || (tag === "mix" && parts.length));
    const badgeNames = badgeTags.map((tag) => t(`badge_${tag}`));
    tile.setAttribute("aria-label", [name, ...badgeNames].join(" · ")); // the motion name first, then badges
    tile.title = name;

    const media = node("div", "hfw-motion-media");
    const fallback = node("div", "hfw-motion-fallback", (name.trim().charAt(0) || "?").toUpperCase());
    fallback.setAttribute("aria-hidden", "true");
    media.append(fallback);
    const ref = item.preview || "";
    if (ref) {
      const img = node("img", "hfw-motion-preview");
      img.alt = "";
      img.decoding = "async";
      img.draggable = false;
      img.addEventListener("error", () => tile.classList.add("hfw-preview-failed"), { once: true });
      img.addEventListener(
        "load",
        () => {
          tile.classList.add("hfw-preview-loaded");
          stills.loaded(img);
        },
        { once: true },
      );
      media.append(img);
      previewOf.set(tile, { img, ref });
    } else {
      tile.classList.add("hfw-preview-failed");
    }
    if (badgeTags.length) {
      const badges = node("div", "hfw-badges");
      badges.setAttribute("aria-hidden", "true");
      badgeTags.forEach((tag, i) => {
        const badge = node("span", "hfw-badge", badgeNames[i]);
        badge.setAttribute("data-tag", tag);
        badges.append(badge);
      });
      media.append(badges);
    }
    tile.append(node("div", "hfw-motion-name", name), media);
    if (ctx.onTile) ctx.onTile(tile, media, item, name);
    if (parts.length) {
      const recipe = parts.map(partLabel).join(" + ");
      const line = node("div", "hfw-motion-parts", recipe);
      line.setAttribute("aria-hidden", "true");
      tile.append(line);
    }
    const haystack = [name.toLowerCase(), ...parts.map((p) => String(p.name ?? "").toLowerCase())];
    const categories = Array.isArray(item.categories) ? item.categories.map(String) : [];
    return { element: tile, id, categories, haystack };
  }

  function buildTiles() {
    visibility.disconnect();
    tiles = (model.get("items") || []).map(buildTile);
    tileById = new Map(tiles.map((tile) => [tile.id, tile]));
    const wanted = tiles.map((tile) => tile.element);
    if (wanted.length !== grid.children.length || wanted.some((element, i) => grid.children[i] !== element)) {
      grid.replaceChildren(...wanted);
    }
    for (const tile of tiles) if (previewOf.has(tile.element)) visibility.observe(tile.element);
    if (ctx.onTiles) ctx.onTiles(wanted);
    selectedTile = null;
    tabStop = null;
    buildChips();
    showSelection();
    applyFilter();
  }

  function buildChips() {
    const seen = new Set();
    for (const tile of tiles) for (const category of tile.categories) seen.add(category);
    const current = model.get("category") || "";
    if (!isAllCategory(current)) seen.add(current);
    chips.replaceChildren(
      ...[ALL, ...seen].map((category) => {
        const chip = button("hfw-chip", categoryLabel(category, t));
        chip.setAttribute("data-category", category);
        return chip;
      }),
    );
    showCategory();
  }

  function showCategory() {
    const current = model.get("category") || "";
    for (const chip of chips.children) {
      const category = chip.getAttribute("data-category");
      const active = isAllCategory(current) ? category === ALL : category === current;
      chip.setAttribute("aria-pressed", active ? "true" : "false");
    }
  }

  function applyFilter() {
    const needle = searchText.trim().toLowerCase();
    const category = model.get("category") || "";
    const anyCategory = isAllCategory(category);
    let shown = 0;
    for (const tile of tiles) {
      const match =
        (anyCategory || tile.categories.includes(category)) &&
        (!needle || tile.haystack.some((text) => text.includes(needle)));
      if (tile.element.hidden === match) tile.element.hidden = !match;
      if (match) shown++;
    }
    const total = tiles.length;
    count.textContent = needle || !anyCategory ? t("n_match", { shown, total }) : t("n_motions", { n: total });
    empty.textContent = total === 0 ? t("no_motions") : shown === 0 ? t("no_match") : "";
    empty.hidden = !empty.textContent;
    if (!tabStop || tabStop.hidden) {
      const selected = selectedTile && !selectedTile.element.hidden ? selectedTile.element : null;
      setTabStop(selected || tiles.find((tile) => !tile.element.hidden)?.element || null);
    }
  }

  function setTabStop(element) {
    if (tabStop === element) return;
    if (tabStop) tabStop.tabIndex = -1;
    tabStop = element;
    if (tabStop) tabStop.tabIndex = 0;
  }

  function showSelection() {
    const tile = tileById.get(model.get("selected_id")) || null;
    if (selectedTile === tile) return;
    if (selectedTile) selectedTile.element.setAttribute("aria-selected", "false");
    selectedTile = tile;
    if (tile) {
      tile.element.setAttribute("aria-selected", "true");
      if (!tile.element.hidden) setTabStop(tile.element);
    }
  }

  function showTexts() {
    search.placeholder = t("search_motions");
    search.setAttribute("aria-label", t("search_motions"));
    chips.setAttribute("aria-label", t("categories"));
    grid.setAttribute("aria-label", t("motions"));
  }

  function select(element) {
    if (ctx.offline) return; // no kernel behind the view (shared.js)
    const id = element.getAttribute("data-motion-id");
    setTabStop(element);
    if (model.get("selected_id") !== id) ctx.set("selected_id", id);
  }

  function columnCount() {
    return Math.max(1, getComputedStyle(grid).gridTemplateColumns.split(" ").filter(Boolean).length);
  }

  ctx.on(grid, "click", (event) => {
    const tile = event.target.closest(".hfw-motion-tile");
    if (tile && grid.contains(tile)) select(tile);
  });
  ctx.on(grid, "keydown", (event) => {
    const current = event.target.closest(".hfw-motion-tile");
    if (!current) return;
    const visible = tiles.filter((tile) => !tile.element.hidden).map((tile) => tile.element);
    const index = visible.indexOf(current);
    if (index < 0) return;
    const steps = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: columnCount(),
      ArrowUp: -columnCount(),
      Home: -index,
      End: visible.length - 1 - index,
    };
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(current);
      return;
    }
    if (!(event.key in steps)) return;
    event.preventDefault();
    const target = visible[Math.min(Math.max(index + steps[event.key], 0), visible.length - 1)];
    setTabStop(target);
    target.focus();
  });
  ctx.on(chips, "click", (event) => {
    const chip = event.target.closest(".hfw-chip");
    if (!chip || ctx.offline) return;
    const category = chip.getAttribute("data-category");
    ctx.set("category", category === ALL ? "" : category);
  });
  ctx.on(search, "input", () => {
    // Filter at once; tell the kernel only when typing pauses.
    searchText = search.value;
    applyFilter();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      searchTimer = null;
      ctx.set("search", search.value);
    }, SEARCH_DEBOUNCE_MS);
  });
  ctx.on(search, "keydown", (event) => {
    if (event.key === "ArrowDown" && tabStop) {
      event.preventDefault();
      tabStop.focus();
    }
  });

  ctx.watch(["items"], buildTiles);
  ctx.watch(["selected_id"], showSelection);
  ctx.watch(["search"], () => {
    if (searchTimer !== null) return; // the box is ahead of the model while typing
    const value = model.get("search") || "";
    if (search.value !== value) search.value = value;
    searchText = value;
    applyFilter();
  });
  ctx.watch(["category"], () => {
    const category = model.get("category") || "";
    const known = [...chips.children].some((chip) => chip.getAttribute("data-category") === category);
    if (!isAllCategory(category) && !known) buildChips();
    showCategory();
    applyFilter();
  });
  ctx.watch(["lang"], () => {
    showTexts();
    buildTiles();
  });

  search.value = searchText;
  showTexts();
  buildTiles();
  return root;
}

// Reduced motion (`prefers-reduced-motion: reduce`): a motion preview shows its first frame,
// drawn on a canvas once the animated picture has loaded, and plays only while its tile is
// hovered or focused (grid.css shows the animated <img> then). A change of the preference
// applies at once to every preview the list holds then (read from the list, so that a tile
// drawn anew is never missed).
function reducedMotionStills(ctx, list) {
  const query = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  function draw(img) {
    const media = img.parentElement;
    if (!media || media.querySelector(".hfw-motion-still") || !img.complete || !img.naturalWidth) return;
    const canvas = node("canvas", "hfw-motion-still");
    canvas.setAttribute("aria-hidden", "true");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    try {
      canvas.getContext("2d").drawImage(img, 0, 0); // the frame shown when it loaded: the first
    } catch (error) {
      return; // the preview then stays as it is
    }
    img.before(canvas);
  }
  const onChange = () => {
    if (query.matches) list.querySelectorAll("img.hfw-motion-preview").forEach(draw);
  };
  if (query) {
    query.addEventListener("change", onChange);
    ctx.cleanup(() => query.removeEventListener("change", onChange));
  }
  return { loaded: (img) => query && query.matches && draw(img) };
}
