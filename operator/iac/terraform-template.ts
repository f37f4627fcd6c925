// Terraform reads every string in its JSON syntax as a template: `${...}` and
// `%{...}` are expressions. A manifest is data, so it goes into the
// configuration with both sequences escaped, and comes back out unescaped.

/** `value` as a Terraform template that evaluates to exactly `value`. */
export function escapeTemplate(value: string): string {
  // Replacement functions, not strings: in a replacement string `$$` means `$`.
  return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * The string a Terraform template without expressions evaluates to: the inverse
 * of `escapeTemplate`. Throws on a real expression, since the value would then
 * not be known before apply.
 */
export function unescapeTemplate(template: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const rest = template.slice(i);
    if (rest.startsWith('$${') || rest.startsWith('%%{')) {
      out += `${template[i]}{`;
      i += 2;
    } else if (rest.startsWith('${') || rest.startsWith('%{')) {
      throw new Error(`Template holds an expression at offset ${i}: ${JSON.stringify(rest.slice(0, 40))}`);
    } else {
      out += template[i];
    }
  }
  return out;
}
