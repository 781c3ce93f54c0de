/* Live counter for the compose page: characters, encoding, segments, recipients.
 * Counts exactly like django_attentive.segments.count_segments; the alphabets and limits
 * come from the server (#attentive-counter-config), so the two cannot drift apart. */
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("attentive-counter-config").textContent);
  const basic = new Set(Array.from(config.gsm7_basic));
  const extended = new Set(Array.from(config.gsm7_extended));

  function count(body, prefix) {
    const text = (prefix === undefined ? config.brand_prefix : prefix) + body;
    const chars = Array.from(text); // code points, like Python's len()
    const ucs2 = chars.find((ch) => !basic.has(ch) && !extended.has(ch)) ?? null;
    let units, single, part, encoding;
    if (ucs2 === null) {
      units = chars.reduce((n, ch) => n + (extended.has(ch) ? 2 : 1), 0);
      [single, part, encoding] = [config.gsm7_single, config.gsm7_part, "GSM-7"];
    } else {
      units = text.length; // UTF-16 code units
      [single, part, encoding] = [config.ucs2_single, config.ucs2_part, "UCS-2"];
    }
    const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { encoding, characters: chars.length, units, segments, ucs2_character: ucs2 };
  }
  window.attentiveCount = count;

  function recipients(text) {
    // Rough until Preview checks each number: distinct entries by their digits.
    const keys = new Set();
    for (const entry of text.split(/[\n,;]/)) {
      const digits = entry.replace(/\D/g, "");
      if (digits) keys.add(digits);
    }
    return keys.size;
  }

  function codePoint(ch) {
    return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function plural(n, one, many) {
    return n.toLocaleString() + " " + (n === 1 ? one : many);
  }

  function line(className, text) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text; // never innerHTML: the body is user text
    return p;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const body = document.getElementById("id_body");
    const to = document.getElementById("id_recipients");
    const media = document.getElementById("id_media_url");
    const template = document.getElementById("id_template");
    const transactional = document.getElementById("id_transactional");
    const counter = document.getElementById("attentive-counter");
    const recipientCount = document.getElementById("attentive-recipient-count");
    if (!body || !counter) return;

    function render() {
      const result = count(body.value);
      const people = to ? recipients(to.value) : 1;
      const total = result.segments * Math.max(people, 1);
      Object.assign(counter.dataset, {
        characters: result.characters,
        encoding: result.encoding,
        segments: result.segments,
        recipients: people,
        total: total,
        ucs2Character: result.ucs2_character || "",
      });
      counter.replaceChildren(
        line(
          "attentive-counter-main",
          [
            plural(result.characters, "character", "characters"),
            result.encoding,
            plural(result.segments, "segment", "segments") + " per text",
            "× " + plural(people, "recipient", "recipients") + " = " +
              plural(total, "segment", "segments") + " in total",
          ].join(" · ")
        )
      );
      if (result.ucs2_character) {
        counter.append(
          line(
            "attentive-counter-ucs2",
            "“" + result.ucs2_character + "” (" + codePoint(result.ucs2_character) + ") is not " +
              "in the GSM-7 alphabet, so the text goes out as UCS-2: " + config.ucs2_single +
              " characters per segment instead of " + config.gsm7_single + "."
          )
        );
      }
      if (config.brand_prefix) {
        counter.append(
          line("attentive-counter-prefix", "Includes the brand prefix “" + config.brand_prefix +
            "” that Attentive adds (" + Array.from(config.brand_prefix).length + " characters).")
        );
      }
      if (media && media.value.trim()) {
        counter.append(line("attentive-counter-mms", "With an image URL this goes out as MMS."));
      }
      const refused = Array.from(body.value).find((ch) => config.forbidden_characters.includes(ch));
      if (refused) {
        // The transport drops such a text without saying so (the current API's brace rule).
        counter.append(line("errornote attentive-counter-forbidden",
          config.forbidden_message.replace("%s", refused)));
      }
      if (body.value.length > config.max_body_length) {
        counter.append(line("errornote", "Too long: at most " + config.max_body_length + " characters."));
      }
      if (recipientCount && to) {
        recipientCount.textContent = people
          ? plural(people, "number", "numbers") + " entered; Preview checks each one."
          : "";
      }
    }

    if (template) {
      template.addEventListener("change", function () {
        const chosen = config.templates[template.value];
        if (!chosen) return;
        if (body.value.trim() && body.value !== chosen.body &&
            !window.confirm("Replace the text you wrote with the template?")) return;
        body.value = chosen.body;
        if (media) media.value = chosen.media_url;
        if (transactional) transactional.checked = chosen.transactional;
        render();
      });
    }
    for (const field of [body, to, media]) {
      if (field) field.addEventListener("input", render);
    }
    render();
  });
})();
