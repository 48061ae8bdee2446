// The image input part: one slot per frame (first, optional last). Each takes a
// file (choose, drag and drop, or paste) or an image URL, and shows a preview with
// the file's name and size. Reads the trait `frames`: [{name, source, detail,
// preview, url}], one dict per slot. Files go to the kernel by `sendImage`.

const FRAME_KEYS = { first: ["first_frame", "first_frame_url"], last: ["last_frame", "last_frame_url"] };

// Photo formats a browser may not label image/* (HEIC, HEIF): the kernel decides about them.
const PHOTO_NAME = /\.(heic|heif|avif)$/i;

function imageFiles(list) {
  return [...(list || [])].filter((file) => file && (/^image\//.test(file.type) || PHOTO_NAME.test(file.name || "")));
}

function humanBytes(count) {
  return count < 1024 * 1024 ? `${Math.max(1, Math.round(count / 1024))} KB` : `${(count / 1048576).toFixed(1)} MB`;
}

// A photo larger than any video needs is reduced here, before it is sent: decoded by the
// browser, scaled so that its shorter side is UPLOAD.short_side, flattened on white and
// encoded as JPEG (the kernel makes a JPEG of it anyway). A file the browser cannot decode
// (HEIC in Chromium) goes as it is, for the kernel to decode. Returns {blob, original}.
async function imageForKernel(file) {
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file); // upright: the EXIF orientation applied
  } catch (error) {
    return { blob: file, original: null };
  }
  const { width, height } = bitmap;
  const scale = Math.min(1, UPLOAD.short_side / Math.min(width, height));
  if (scale === 1 && file.size <= UPLOAD.whole_bytes) {
    bitmap.close();
    return { blob: file, original: null };
  }
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(w, h) : Object.assign(document.createElement("canvas"), { width: w, height: h });
  const paint = canvas.getContext("2d");
  paint.fillStyle = "#fff";
  paint.fillRect(0, 0, w, h);
  paint.imageSmoothingQuality = "high";
  paint.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const type = "image/jpeg";
  const blob = canvas.convertToBlob ? await canvas.convertToBlob({ type, quality: 0.92 }) : await new Promise((done) => canvas.toBlob(done, type, 0.92));
  return { blob, original: { width, height, bytes: file.size } };
}

// Sends a chosen, dropped or pasted file to the kernel in parts of at most UPLOAD.part_bytes
// ({"type": "upload_part", id, index, count, total} + one buffer each): a Jupyter server closes
// the link on one message over 10 MiB. A file that cannot be sent is refused by the kernel, so
// the message about it shows where every other error does.
async function sendImage(ctx, frame, file) {
  const name = file.name || "pasted image";
  const { blob, original } = await imageForKernel(file);
  const total = blob.size;
  if (total > UPLOAD.max_bytes) {
    ctx.send("upload_refused", { frame, name, size: total });
    return;
  }
  const data = await blob.arrayBuffer();
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 9)}`;
  const count = Math.max(1, Math.ceil(total / UPLOAD.part_bytes));
  for (let index = 0; index < count; index++) {
    const part = data.slice(index * UPLOAD.part_bytes, (index + 1) * UPLOAD.part_bytes);
    ctx.send("upload_part", { frame, id, index, count, total, name, mime: blob.type || file.type, original }, [part]);
  }
}

function frameInputs(ctx) {
  const { model, t } = ctx;
  const root = node("div", "hfw-frames");
  const slots = new Map();

  // While a file is read and sent, its slot says so and the old picture is shown as going:
  // it is replaced when the kernel has the new one, or comes back with the kernel's error.
  function upload(name, file) {
    const slot = slots.get(name);
    if (slot) slot.pending(file);
    sendImage(ctx, name, file).catch((error) => ctx.send("upload_refused", { frame: name, name: file.name || "", reason: String(error) }));
  }

  function buildSlot(name) {
    const [labelKey, urlKey] = FRAME_KEYS[name] || FRAME_KEYS.first;
    const slot = node("div", `hfw-frame hfw-frame-${name}`);
    const heading = node("div", "hfw-frame-title");
    const title = node("span", "hfw-frame-name");
    const optional = node("span", "hfw-frame-optional");
    heading.append(title, optional);
    const drop = node("div", "hfw-drop");
    const preview = node("img", `hfw-frame-preview hfw-thumb-${name}`);
    preview.hidden = true;
    const caption = node("div", "hfw-frame-caption");
    const file = node("input", "hfw-file");
    file.type = "file";
    file.accept = "image/*,.heic,.heif";
    const choose = node("label", `hfw-choose hfw-upload-${name}`);
    const chooseText = node("span");
    choose.append(chooseText);
    file.id = `hfw-file-${name}-${Math.random().toString(36).slice(2, 9)}`;
    choose.htmlFor = file.id;
    const hint = node("span", "hfw-drop-hint");
    const clear = button(`hfw-clear hfw-clear-${name}`);
    const clearIcon = node("span", "", "✕");
    clearIcon.setAttribute("aria-hidden", "true");
    clear.append(clearIcon);
    const actions = node("div", "hfw-frame-actions");
    actions.append(file, choose, clear);
    drop.append(preview, caption, hint, actions);
    const url = node("input", `hfw-url hfw-url-${name}`);
    url.type = "url";
    url.autocomplete = "off";
    url.spellcheck = false;
    slot.append(heading, drop, url);

    function texts() {
      title.textContent = t(labelKey);
      optional.textContent = name === "last" ? ` (${t("optional")})` : "";
      file.setAttribute("aria-label", t(labelKey));
      chooseText.textContent = t("choose_image");
      hint.textContent = t("drop_hint");
      clear.setAttribute("aria-label", t("clear_frame", { frame: t(labelKey) }));
      url.setAttribute("aria-label", t(urlKey));
      url.placeholder = t("url_placeholder");
    }

    ctx.on(file, "change", () => {
      const [chosen] = imageFiles(file.files);
      if (chosen) upload(name, chosen);
      file.value = ""; // choosing the same file again is a change too
    });
    ctx.on(drop, "dragover", (event) => {
      event.preventDefault();
      drop.classList.add("hfw-drop-over");
    });
    ctx.on(drop, "dragleave", () => drop.classList.remove("hfw-drop-over"));
    ctx.on(drop, "drop", (event) => {
      event.preventDefault();
      drop.classList.remove("hfw-drop-over");
      const [dropped] = imageFiles(event.dataTransfer && event.dataTransfer.files);
      if (dropped) upload(name, dropped);
      else {
        const text = event.dataTransfer && event.dataTransfer.getData("text/uri-list");
        if (isHttpUrl(text)) ctx.send("frame_url", { frame: name, url: text.trim() });
      }
    });
    ctx.on(slot, "paste", (event) => {
      if (event.target === url) return; // a URL typed or pasted in its box stays text
      const [pasted] = imageFiles(event.clipboardData && event.clipboardData.files);
      if (pasted) {
        event.preventDefault();
        upload(name, pasted);
      }
    });
    const commitUrl = () => {
      const frame = (model.get("frames") || []).find((f) => f.name === name) || {};
      const value = url.value.trim();
      if (value !== (frame.url || "")) ctx.send("frame_url", { frame: name, url: value });
    };
    ctx.on(url, "change", commitUrl);
    ctx.on(url, "keydown", (event) => {
      if (event.key === "Enter") commitUrl();
    });
    ctx.on(clear, "click", () => ctx.send("clear_frame", { frame: name }));

    function pending(chosen) {
      slot.setAttribute("aria-busy", "true");
      drop.classList.add("hfw-pending");
      caption.replaceChildren(node("span", "hfw-frame-reading", t("reading_image", { name: chosen.name || "", size: humanBytes(chosen.size) })));
    }

    function show(frame) {
      slot.removeAttribute("aria-busy");
      drop.classList.remove("hfw-pending");
      const filled = !!frame.source;
      const frameName = t(labelKey);
      preview.alt = filled ? t("frame_alt", { frame: frameName, name: frame.source }) : "";
      preview.hidden = !frame.preview;
      setMedia(ctx, preview, frame.preview || "", () => (preview.hidden = true));
      caption.replaceChildren();
      if (filled) {
        caption.append(node("span", "hfw-frame-source", frame.source));
        if (frame.detail) caption.append(node("span", "hfw-frame-detail", frame.detail));
      }
      drop.classList.toggle("hfw-filled", filled);
      clear.hidden = !filled;
      if (document.activeElement !== url) url.value = frame.url || "";
    }
    return { slot, texts, show, pending };
  }

  function render() {
    const frames = model.get("frames") || [];
    for (const frame of frames) {
      if (!slots.has(frame.name)) {
        const built = buildSlot(frame.name);
        slots.set(frame.name, built);
        root.append(built.slot);
        built.texts();
      }
      slots.get(frame.name).show(frame);
    }
  }
  ctx.watch(["frames", "error"], render); // an error ends a pending upload too
  ctx.watch(["lang"], () => {
    for (const slot of slots.values()) slot.texts();
    render();
  });
  render();
  // A picture pasted anywhere in the widget (outside a text field) fills the first frame.
  ctx.pasteTarget = (file) => upload("first", file);
  return root;
}

function pasteAnywhere(ctx, el) {
  ctx.on(el, "paste", (event) => {
    if (event.defaultPrevented || !ctx.pasteTarget) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "file"))) return;
    const [pasted] = imageFiles(event.clipboardData && event.clipboardData.files);
    if (pasted) {
      event.preventDefault();
      ctx.pasteTarget(pasted);
    }
  });
}
