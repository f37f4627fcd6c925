import { describe, expect, it } from 'vitest';
import { escapeTemplate, unescapeTemplate } from './terraform-template.js';

describe('escapeTemplate / unescapeTemplate', () => {
  it.each([
    ['plain text', 'plain text'],
    ['cost: ${price}', 'cost: $${price}'],
    ['%{ if x }', '%%{ if x }'],
    ['$$ and % and $ {', '$$ and % and $ {'],
    ['$${already}', '$$${already}'],
  ])('escapes %j so Terraform evaluates it to itself', (value, escaped) => {
    expect(escapeTemplate(value)).toBe(escaped);
    expect(unescapeTemplate(escaped)).toBe(value);
  });

  it('refuses a template with a real expression', () => {
    expect(() => unescapeTemplate('name: ${var.name}')).toThrow(/expression at offset 6/);
    expect(() => unescapeTemplate('%{ for x in y }')).toThrow(/expression/);
  });
});
