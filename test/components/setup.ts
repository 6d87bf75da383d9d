// DOM matchers (toBeInTheDocument, toHaveAttribute, …) for the components project.
import "@testing-library/jest-dom/vitest";
