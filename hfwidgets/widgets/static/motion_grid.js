// MotionGrid front end: a listbox of motion tiles with search, category chips and
// keyboard navigation. Every string from the catalogue is untrusted: it is only
// ever written with textContent / setAttribute, never parsed as HTML.

const SEARCH_DEBOUNCE_MS = 200;
const BADGE_LABELS = { top_choice: "Top choice", new: "New", mix: "Mix" };
const ALL = "all";

function isHttpUrl(value) {
  return typeof value === "string" && /^https?:\/\//i.test(value);
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

// A stable colour per motion for the fallback tile.
function hueOf(id) {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % 360;
}

function categoryLabel(category) {
  if (category === ALL) return "All";
  const words = category.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function partLabel(part) {
  const name = String(part.name ?? part.id ?? "");
  return typeof part.strength === "number" ? `${name} ${Math.round(part.strength * 100)}%` : name;
}

function isAllCategory(category) {
  return !category || category === ALL;
}

function render({ model, el }) {
  const listeners = new AbortController();
  const on = (target, type, handler) => target.addEventListener(type, handler, { signal: listeners.signal });

  el.classList.add("hfw-motion-grid");
  const toolbar = node("div", "hfw-motion-toolbar");
  const search = node("input", "hfw-motion-search");
  search.type = "search";
  search.placeholder = "Search motions";
  search.setAttribute("aria-label", "Search motions by name");
  search.autocomplete = "off";
  search.spellcheck = false;
  const count = node("div", "hfw-motion-count");
  count.setAttribute("aria-live", "polite");
  toolbar.append(search, count);
  const chips = node("div", "hfw-chips");
  chips.setAttribute("role", "toolbar");
  chips.setAttribute("aria-label", "Categories");
  const error = node("div", "hfw-error");
  error.setAttribute("role", "alert");
  const grid = node("div", "hfw-motion-list");
  grid.setAttribute("role", "listbox");
  grid.setAttribute("aria-label", "Motions");
  const empty = node("div", "hfw-motion-empty");
  el.replaceChildren(toolbar, chips, error, grid, empty);

  let tiles = []; // {element, id, categories, haystack}
  let tileById = new Map();
  const previewOf = new WeakMap(); // tile element -> {img, url}
  let selectedTile = null;
  let tabStop = null;
  let searchText = model.get("search") || "";
  let searchTimer = null;

  // Only tiles that come into view get a `src`: 1,000 motions must not mean 1,000 requests.
  const visibility = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        visibility.unobserve(entry.target);
        const preview = previewOf.get(entry.target);
        if (preview) preview.img.setAttribute("src", preview.url);
      }
    },
    { rootMargin: "120px 0px" },
  );

  function buildTile(item) {
    const id = String(item.id);
    const name = String(item.name ?? id);
    const tile = node("div", "hfw-motion-tile");
    tile.setAttribute("role", "option");
    tile.setAttribute("aria-selected", "false");
    tile.setAttribute("data-motion-id", id);
    tile.setAttribute("title", name);
    tile.tabIndex = -1;

    const media = node("div", "hfw-motion-media");
    const fallback = node("div", "hfw-motion-fallback", (name.trim().charAt(0) || "?").toUpperCase());
    fallback.setAttribute("aria-hidden", "true");
    fallback.style.setProperty("--hfw-fallback-hue", String(hueOf(id)));
    media.append(fallback);
    if (isHttpUrl(item.preview_url)) {
      const img = node("img", "hfw-motion-preview");
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.draggable = false;
      // The fallback letter stays underneath; a failed preview is simply hidden.
      img.addEventListener("error", () => tile.classList.add("hfw-preview-failed"), { once: true });
      img.addEventListener("load", () => tile.classList.add("hfw-preview-loaded"), { once: true });
      media.append(img);
      previewOf.set(tile, { img, url: item.preview_url });
    } else {
      tile.classList.add("hfw-preview-failed");
    }

    const tags = Array.isArray(item.tags) ? item.tags.map(String) : [];
    const parts = Array.isArray(item.parts) ? item.parts : [];
    const badgeTags = tags.filter((tag) => tag in BADGE_LABELS);
    if (parts.length && !badgeTags.includes("mix")) badgeTags.push("mix");
    if (badgeTags.length) {
      const badges = node("div", "hfw-badges");
      for (const tag of badgeTags) {
        const badge = node("span", "hfw-badge", BADGE_LABELS[tag]);
        badge.setAttribute("data-tag", tag);
        badges.append(badge);
      }
      media.append(badges);
    }
    tile.append(media, node("div", "hfw-motion-name", name));
    if (parts.length) {
      const recipe = parts.map(partLabel).join(" + ");
      const line = node("div", "hfw-motion-parts", recipe);
      line.setAttribute("title", recipe);
      tile.append(line);
    }

    const haystack = [name.toLowerCase(), ...parts.map((p) => String(p.name ?? "").toLowerCase())];
    const categories = Array.isArray(item.categories) ? item.categories.map(String) : [];
    return { element: tile, id, categories, haystack };
  }

  function buildTiles() {
    visibility.disconnect();
    const items = model.get("items") || [];
    const fragment = document.createDocumentFragment();
    tiles = items.map(buildTile);
    tileById = new Map();
    for (const tile of tiles) {
      tileById.set(tile.id, tile);
      fragment.append(tile.element);
    }
    grid.replaceChildren(fragment);
    for (const tile of tiles) {
      if (previewOf.has(tile.element)) visibility.observe(tile.element);
    }
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
    const fragment = document.createDocumentFragment();
    for (const category of [ALL, ...seen]) {
      const chip = node("button", "hfw-chip", categoryLabel(category));
      chip.type = "button";
      chip.setAttribute("data-category", category);
      fragment.append(chip);
    }
    chips.replaceChildren(fragment);
    showCategory();
  }

  function showCategory() {
    const current = model.get("category") || "";
    for (const chip of chips.children) {
      const category = chip.getAttribute("data-category");
      const active = isAllCategory(current) ? category === ALL : category === current;
      chip.setAttribute("aria-pressed", active ? "true" : "false");
      chip.classList.toggle("hfw-chip-active", active);
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
    const filtered = needle || !anyCategory;
    count.textContent = filtered
      ? `${shown} of ${total} match`
      : `${total} motion${total === 1 ? "" : "s"}`;
    empty.textContent = shown === 0 && total > 0 ? "No motion matches." : total === 0 ? "No motions." : "";
    empty.hidden = !empty.textContent;
    if (!tabStop || tabStop.hidden) {
      const selected = selectedTile && !selectedTile.element.hidden ? selectedTile.element : null;
      setTabStop(selected || tiles.find((t) => !t.element.hidden)?.element || null);
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
    if (selectedTile) {
      selectedTile.element.setAttribute("aria-selected", "false");
      selectedTile.element.classList.remove("hfw-selected");
    }
    selectedTile = tile;
    if (tile) {
      tile.element.setAttribute("aria-selected", "true");
      tile.element.classList.add("hfw-selected");
      if (!tile.element.hidden) setTabStop(tile.element);
    }
  }

  function showError() {
    const text = model.get("error") || "";
    error.textContent = text;
    error.hidden = !text;
  }

  function select(element) {
    const id = element.getAttribute("data-motion-id");
    setTabStop(element);
    if (model.get("selected_id") === id) return;
    model.set("selected_id", id);
    model.save_changes();
  }

  function columnCount() {
    // Read only when a key is pressed, never while building the grid.
    const columns = getComputedStyle(grid).gridTemplateColumns.split(" ").filter(Boolean).length;
    return Math.max(1, columns);
  }

  function moveFocus(event) {
    const current = event.target.closest(".hfw-motion-tile");
    if (!current) return;
    const visible = tiles.filter((t) => !t.element.hidden).map((t) => t.element);
    const index = visible.indexOf(current);
    if (index < 0) return;
    let next = index;
    switch (event.key) {
      case "ArrowRight": next = index + 1; break;
      case "ArrowLeft": next = index - 1; break;
      case "ArrowDown": next = index + columnCount(); break;
      case "ArrowUp": next = index - columnCount(); break;
      case "Home": next = 0; break;
      case "End": next = visible.length - 1; break;
      case "Enter":
      case " ":
        event.preventDefault();
        select(current);
        return;
      default:
        return;
    }
    event.preventDefault();
    const target = visible[Math.min(Math.max(next, 0), visible.length - 1)];
    setTabStop(target);
    target.focus();
  }

  on(grid, "click", (event) => {
    const tile = event.target.closest(".hfw-motion-tile");
    if (tile && grid.contains(tile)) select(tile);
  });
  on(grid, "keydown", moveFocus);
  on(chips, "click", (event) => {
    const chip = event.target.closest(".hfw-chip");
    if (!chip) return;
    const category = chip.getAttribute("data-category");
    model.set("category", category === ALL ? "" : category);
    model.save_changes();
  });
  on(search, "input", () => {
    // Filter at once; tell the kernel only when typing pauses.
    searchText = search.value;
    applyFilter();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      searchTimer = null;
      model.set("search", search.value);
      model.save_changes();
    }, SEARCH_DEBOUNCE_MS);
  });
  on(search, "keydown", (event) => {
    if (event.key === "ArrowDown" && tabStop) {
      event.preventDefault();
      tabStop.focus();
    }
  });

  const onItems = () => buildTiles();
  const onSelected = () => showSelection();
  const onSearch = () => {
    if (searchTimer !== null) return; // the box is ahead of the model while typing
    const value = model.get("search") || "";
    if (search.value !== value) search.value = value;
    searchText = value;
    applyFilter();
  };
  const onCategory = () => {
    const category = model.get("category") || "";
    const known = [...chips.children].some((chip) => chip.getAttribute("data-category") === category);
    if (!isAllCategory(category) && !known) buildChips();
    showCategory();
    applyFilter();
  };
  model.on("change:items", onItems);
  model.on("change:selected_id", onSelected);
  model.on("change:search", onSearch);
  model.on("change:category", onCategory);
  model.on("change:error", showError);

  search.value = searchText;
  showError();
  buildTiles();

  return () => {
    visibility.disconnect();
    listeners.abort();
    clearTimeout(searchTimer);
    model.off("change:items", onItems);
    model.off("change:selected_id", onSelected);
    model.off("change:search", onSearch);
    model.off("change:category", onCategory);
    model.off("change:error", showError);
  };
}

export default { render };
