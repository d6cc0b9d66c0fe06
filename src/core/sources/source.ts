import type { AgentId, ParseSink } from './types';

/** Environment the sources read, injected so tests never touch the real home folder. */
export interface SourceEnv {
  readonly home: string;
  readonly vars: Readonly<Record<string, string | undefined>>;
}

/** Parses the complete lines of one log file, keeping what it needs between reads. */
export interface FileParser {
  /**
   * Parses the complete lines of `buf[0, end)`, where `buf[0]` is at file offset `base`, and
   * returns how many bytes it consumed (up to just past the last newline). A document parser
   * (mode 'document') gets the whole file at base 0 and returns `end` when it read a valid
   * document, 0 when it did not (the file's previous records are then kept). It may overwrite
   * the bytes of the lines it consumed (the scanner never reads them again); the rest it leaves.
   */
  parse(buf: Buffer, end: number, base: number): number;
  /** JSON-serialisable state, persisted with the file's offset so a restart resumes exactly. */
  saveState(): unknown;
}

export interface ParserOptions {
  /** Emit activity events (tool calls, errors, turns) besides usage. Costs parse time. */
  readonly activity: boolean;
  /** Parse every line whole, without a source's fast path for a known layout (a seam for tests). */
  readonly fullParse?: boolean;
}

/** One agent: where its logs are and how to read them (Detect → Load → Parse). */
export interface AgentSource {
  readonly agent: AgentId;
  /**
   * 'append' (default): JSONL that only grows, read by byte offset. 'document': one JSON document
   * rewritten in place, read whole whenever its size or mtime changes; its records replace the
   * previous parse's. The parser gets the previous parse's saved state (to emit activity once).
   */
  readonly mode?: 'append' | 'document';
  /**
   * Largest document read whole (document mode); MAX_LINE_BYTES (64 MiB) by default. A SQLite
   * database grows past that (134 MB reported for OpenCode) and is worth reading.
   */
  readonly maxDocumentBytes?: number;
  /** Folders to search, most specific setting first; missing folders are fine. */
  roots(env: SourceEnv): string[];
  /** Whether a path below a root is one of this agent's logs. */
  isLogFile(relativePath: string): boolean;
  /**
   * Whether a folder below a root (its relative path) can hold such logs; every folder by default.
   * Prunes the walk where an agent's folder also holds caches, snapshots or other tools' data.
   */
  descend?(relativeFolder: string): boolean;
  createParser(file: string, sink: ParseSink, options: ParserOptions, saved?: unknown): FileParser;
}
