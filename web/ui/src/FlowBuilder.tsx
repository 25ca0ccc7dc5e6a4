import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react'
import { Link } from 'react-router'
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  BaseEdge,
  Controls,
  EdgeLabelRenderer,
  getSmoothStepPath,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  useUpdateNodeInternals,
  type Connection as RFConnection,
  type EdgeChange,
  type EdgeProps,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { ApiError, message, type Api, type Group, type MediaFile, type User } from './api'
import {
  describePrompt,
  exitLabel,
  exitsOf,
  flowStatus,
  maxMenuKeys,
  menuKeys,
  newStateId,
  refusal,
  stateTypes,
  typeLabel,
  useDirectory,
  useFlow,
  useFlows,
  useNumbers,
  usePublish,
  useSaveDraft,
  violationsByState,
  type Flow,
  type FlowDocument,
  type FlowState,
  type StateType,
  type Violation,
} from './flows'
import { autoLayout, toDocument, toEdge, toGraph, type ExitEdge, type StateNode } from './flowgraph'
import { StateEditor } from './StateEditor'
import { FlowSimulator } from './FlowSimulator'
import { FlowCompare } from './FlowCompare'
import { NumberPicker } from './Flows'
import { Dialog, Field, Loading, Menu, Notice } from './ui'

export interface Directory {
  users: User[]
  groups: Group[]
  media: MediaFile[]
}

/** Builder is what a node or an edge on the canvas may ask of the builder. */
interface BuilderActions {
  readOnly: boolean
  directory: Directory
  edit: (id: string) => void
  remove: (id: string) => void
  addKey: (id: string) => void
  removeEdge: (id: string) => void
  simAt: string | null
}
const noop = () => {}
export const Builder = createContext<BuilderActions>({
  readOnly: true,
  directory: { users: [], groups: [], media: [] },
  edit: noop,
  remove: noop,
  addKey: noop,
  removeEdge: noop,
  simAt: null,
})

/** summary says in a line what a state does, as its node shows it. */
export function summary(s: FlowState, d: Directory): string {
  switch (s.type) {
    case 'start':
      return 'Calls enter the flow here'
    case 'transfer_user': {
      const u = d.users.find((x) => x.id === s.user_id)
      return u ? `Rings ${u.name} (${u.extension})` : s.user_id ? `Rings user #${s.user_id}` : 'Choose the user to ring'
    }
    case 'transfer_group': {
      const g = d.groups.find((x) => x.id === s.group_id)
      const how = s.ring === 'sequential' ? 'one at a time' : 'all at once'
      return g ? `Rings ${g.name}, ${how}` : s.group_id ? `Rings group #${s.group_id}` : 'Choose the group to ring'
    }
    case 'ivr':
      return `Menu: ${describePrompt(s.prompt, d.media)}`
    case 'announce':
      return `Plays ${describePrompt(s.prompt, d.media)}`
    case 'voicemail':
      return `Takes a message after ${describePrompt(s.prompt, d.media)}`
  }
  return ''
}

function StateNodeView({ id, data, selected }: NodeProps<StateNode>) {
  const b = useContext(Builder)
  const update = useUpdateNodeInternals()
  const s = data.state
  const exits = exitsOf(s.type, data.keys)
  const keysKey = data.keys.join(',')
  // New key handles must be measured before an edge can attach to them.
  useEffect(() => update(id), [id, keysKey, update])
  const cls = ['state-node', s.type, selected ? 'selected' : '', data.problems.length ? 'has-problems' : '', b.simAt === id ? 'sim-current' : '', (data.diff as string) ?? '']
  return (
    <div className={cls.filter(Boolean).join(' ')} data-state={id}>
      {s.type !== 'start' && <Handle type="target" position={Position.Left} id="in" className="in-handle" />}
      <header className="state-head">
        <span className="state-type">{typeLabel(s.type)}</span>
        <strong className="state-id">{id}</strong>
        {!b.readOnly && (
          <div className="nodrag nopan">
            <Menu
              label={`Actions for state ${id}`}
              items={[
                { label: 'Edit', onSelect: () => b.edit(id) },
                { label: 'Delete', onSelect: () => b.remove(id) },
              ]}
            />
          </div>
        )}
      </header>
      <p className="state-summary">{summary(s, b.directory)}</p>
      {b.simAt === id && <p className="sim-badge">The simulated call is here</p>}
      {data.problems.length > 0 && (
        <ul className="state-problems" aria-label={`Problems with ${id}`}>
          {data.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <ul className="exits">
        {exits.map((o) => (
          <li key={o} className="exit" data-exit={o}>
            <span>{exitLabel(o)}</span>
            <Handle type="source" position={Position.Right} id={o} className="exit-handle" />
          </li>
        ))}
      </ul>
      {s.type === 'ivr' && !b.readOnly && (
        <button type="button" className="add-key nodrag" onClick={() => b.addKey(id)} aria-label={`Add a menu key to ${id}`}>
          + Key
        </button>
      )}
    </div>
  )
}

function ExitEdgeView(p: EdgeProps<ExitEdge>) {
  const b = useContext(Builder)
  const [path, x, y] = getSmoothStepPath({ ...p, borderRadius: 10 })
  const label = `${exitLabel(p.sourceHandleId ?? '')} of ${p.source} to ${p.target}`
  return (
    <>
      <BaseEdge id={p.id} path={path} markerEnd={p.markerEnd} className={(p.data?.diff as string) ?? ''} />
      {p.selected && !b.readOnly && (
        <EdgeLabelRenderer>
          <button
            type="button"
            className="edge-trash nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }}
            onClick={() => b.removeEdge(p.id)}
            aria-label={`Delete the connection ${label}`}
            title="Delete this connection"
          >
            <TrashIcon />
          </button>
        </EdgeLabelRenderer>
      )}
    </>
  )
}

function TrashIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6" />
    </svg>
  )
}

/**
 * FitOnce fits the whole flow into view once, when every state has been
 * measured: React Flow's own initial fit can run when only the first one is.
 */
export function FitOnce() {
  const measured = useStore((s) => {
    if (s.nodeLookup.size === 0) return false
    for (const n of s.nodeLookup.values()) if (!n.measured.width || !n.measured.height) return false
    return true
  })
  const { fitView } = useReactFlow()
  const done = useRef(false)
  useEffect(() => {
    if (!measured || done.current) return
    done.current = true
    requestAnimationFrame(() => fitView({ padding: 0.12, maxZoom: 1 }))
  }, [measured, fitView])
  return null
}

export const nodeTypes = { state: StateNodeView }
export const edgeTypes = { exit: ExitEdgeView }
export const defaultEdgeOptions = { type: 'exit', markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } }

interface Snapshot {
  nodes: StateNode[]
  edges: ExitEdge[]
  meta: Meta
}
interface Meta {
  name: string
  description: string
  numbers: string[]
}

export function FlowBuilder({ api, id }: { api: Api; id: number }) {
  const flow = useFlow(api, id)
  if (flow.isPending) return <Loading what="the flow" />
  if (flow.isError)
    return (
      <Notice kind="error" action={<button onClick={() => flow.refetch()}>Try again</button>}>
        {flow.error instanceof ApiError && flow.error.status === 404 ? `There is no call flow ${id}.` : `The flow could not be loaded: ${message(flow.error)}`}
      </Notice>
    )
  return (
    <ReactFlowProvider>
      <Canvas api={api} flow={flow.data} />
    </ReactFlowProvider>
  )
}

type Side = { kind: 'state' } | { kind: 'simulator' }

function Canvas({ api, flow }: { api: Api; flow: Flow }) {
  // The builder owns the graph from here on: a later answer from the server must not redraw it under the admin.
  const [initial] = useState(() => toGraph(flow.draft))
  const [nodes, setNodes] = useState<StateNode[]>(initial.nodes)
  const [edges, setEdges] = useState<ExitEdge[]>(initial.edges)
  const [meta, setMeta] = useState<Meta>({ name: flow.draft.name, description: flow.draft.description, numbers: flow.draft.numbers ?? [] })
  const [dirty, setDirty] = useState(false)
  const [refused, setRefused] = useState('')
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null)
  const [flowProblems, setFlowProblems] = useState<string[]>([])
  const [side, setSide] = useState<Side>({ kind: 'state' })
  const [simAt, setSimAt] = useState<string | null>(null)
  const [settings, setSettings] = useState(false)
  const [comparing, setComparing] = useState<FlowDocument | null>(null)
  const history = useRef<Snapshot[]>([])
  const [undoable, setUndoable] = useState(0)
  const lastEdit = useRef({ key: '', at: 0 })
  const rf = useReactFlow<StateNode, ExitEdge>()
  const directory = useDirectory(api)
  const save = useSaveDraft(api, flow.id)
  const publish = usePublish(api, flow.id)
  const panel = useRef<HTMLDivElement>(null)

  // Refs let callbacks handed to nodes read the newest graph without being remade on every change.
  const now = useRef({ nodes, edges, meta })
  now.current = { nodes, edges, meta }

  /** remember keeps the graph as it is before an edit, for undo; edits of one field in a row are one step. */
  const remember = useCallback((key = '') => {
    const t = Date.now()
    if (key && key === lastEdit.current.key && t - lastEdit.current.at < 1500) {
      lastEdit.current.at = t
      return
    }
    lastEdit.current = { key, at: t }
    history.current.push({ ...now.current })
    if (history.current.length > 100) history.current.shift()
    setUndoable(history.current.length)
    setDirty(true)
    setRefused('')
  }, [])

  const undo = useCallback(() => {
    const last = history.current.pop()
    setUndoable(history.current.length)
    if (!last) return
    lastEdit.current = { key: '', at: 0 }
    setNodes(last.nodes)
    setEdges(last.edges)
    setMeta(last.meta)
    setDirty(true)
    setRefused('')
  }, [])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.key.toLowerCase() !== 'z') return
      const t = e.target as HTMLElement
      // Inside a text field the browser undoes typing itself.
      if (t.closest('input, textarea, select, [contenteditable]')) return
      e.preventDefault()
      undo()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [undo])

  // Leaving with unsaved edits asks first.
  useEffect(() => {
    if (!dirty) return
    const warn = (e: BeforeUnloadEvent) => e.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [dirty])

  const typeOf = useCallback((sid: string) => now.current.nodes.find((n) => n.id === sid)?.data.state.type, [])
  const links = (es: ExitEdge[]) => es.map((e) => ({ from: e.source, outcome: e.sourceHandle ?? '', to: e.target }))

  const select = useCallback((sid: string | null) => {
    setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === sid })))
    setEdges((es) => es.map((e) => (e.selected ? { ...e, selected: false } : e)))
  }, [])

  const addState = useCallback(
    (type: StateType, position: { x: number; y: number }) => {
      const ns = now.current.nodes
      if (type === 'start' && ns.some((n) => n.data.state.type === 'start')) {
        setRefused('A flow has one Start state, and this one has it already.')
        return
      }
      remember()
      const sid = newStateId(type, new Set(ns.map((n) => n.id)))
      const state: FlowState = { id: sid, type }
      const node: StateNode = { id: sid, type: 'state', position, selected: true, data: { state, keys: type === 'ivr' ? ['1'] : [], problems: [] } }
      setNodes([...ns.map((n) => ({ ...n, selected: false })), node])
      setSide({ kind: 'state' })
    },
    [remember],
  )

  const onDragOver = (e: React.DragEvent) => {
    e.preventDefault()
    e.dataTransfer.dropEffect = 'move'
  }
  const onDrop = (e: React.DragEvent) => {
    const type = e.dataTransfer.getData('application/x-pbx-state') as StateType
    if (!type) return
    e.preventDefault()
    const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY })
    addState(type, { x: Math.round(p.x - 100), y: Math.round(p.y - 30) })
  }

  /** addFromPalette places a state without dragging: by keyboard, or a tap on a phone. */
  const addFromPalette = (type: StateType) => {
    const box = document.querySelector('.flow-canvas')?.getBoundingClientRect()
    const p = box ? rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 }) : { x: 0, y: 0 }
    const taken = (x: number, y: number) => now.current.nodes.some((n) => Math.abs(n.position.x - x) < 40 && Math.abs(n.position.y - y) < 40)
    let { x, y } = { x: Math.round(p.x - 100), y: Math.round(p.y) }
    while (taken(x, y)) {
      x += 30
      y += 30
    }
    addState(type, { x, y })
  }

  const connect = useCallback(
    (from: string, outcome: string, to: string): boolean => {
      const es = now.current.edges
      const reason = refusal({ from, outcome, to }, links(es), typeOf)
      if (reason) {
        setRefused(reason)
        return false
      }
      remember()
      setEdges([...es, toEdge(from, outcome, to)])
      return true
    },
    [remember, typeOf],
  )

  const onConnect = useCallback(
    (c: RFConnection) => {
      if (c.source && c.target && c.sourceHandle) connect(c.source, c.sourceHandle, c.target)
    },
    [connect],
  )

  const removeEdge = useCallback(
    (eid: string) => {
      remember()
      setEdges((es) => es.filter((e) => e.id !== eid))
    },
    [remember],
  )

  const removeState = useCallback(
    (sid: string) => {
      remember()
      setNodes((ns) => ns.filter((n) => n.id !== sid))
      setEdges((es) => es.filter((e) => e.source !== sid && e.target !== sid))
      setSimAt((at) => (at === sid ? null : at))
    },
    [remember],
  )

  const updateState = useCallback(
    (sid: string, next: FlowState, key: string) => {
      remember(`${sid}:${key}`)
      setNodes((ns) => ns.map((n) => (n.id === sid ? { ...n, data: { ...n.data, state: next } } : n)))
    },
    [remember],
  )

  const addKey = useCallback(
    (sid: string) => {
      const n = now.current.nodes.find((x) => x.id === sid)
      if (!n) return
      if (n.data.keys.length >= maxMenuKeys) {
        setRefused(`${sid} already has all ${maxMenuKeys} menu keys a caller can press: 0-9 and *. A menu has no twelfth key.`)
        return
      }
      remember()
      const key = menuKeys.find((k) => !n.data.keys.includes(k))!
      setNodes((ns) => ns.map((x) => (x.id === sid ? { ...x, data: { ...x.data, keys: menuKeys.filter((k) => k === key || x.data.keys.includes(k)) } } : x)))
    },
    [remember],
  )

  /** setKeys changes an IVR's keys; a key taken away takes its connection, a key renamed keeps it. */
  const setKeys = useCallback(
    (sid: string, keys: string[], renamed?: { from: string; to: string }) => {
      remember()
      setNodes((ns) => ns.map((x) => (x.id === sid ? { ...x, data: { ...x.data, keys: menuKeys.filter((k) => keys.includes(k)) } } : x)))
      setEdges((es) =>
        es.flatMap((e) => {
          if (e.source !== sid || e.sourceHandle === 'timeout') return [e]
          if (renamed && e.sourceHandle === renamed.from) return [{ ...toEdge(sid, renamed.to, e.target) }]
          return keys.includes(e.sourceHandle ?? '') ? [e] : []
        }),
      )
    },
    [remember],
  )

  const onNodesChange = useCallback((changes: NodeChange<StateNode>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns))
  }, [])
  const onEdgesChange = useCallback((changes: EdgeChange<ExitEdge>[]) => {
    setEdges((es) => applyEdgeChanges(changes, es))
  }, [])

  const tidy = () => {
    remember()
    setNodes(autoLayout(now.current.nodes, now.current.edges))
    requestAnimationFrame(() => rf.fitView({ padding: 0.15, duration: 200 }))
  }

  const document_ = () => toDocument(now.current.meta, now.current.nodes, now.current.edges)

  const showProblems = (fields: Violation[], doc: FlowDocument, what: string) => {
    const { states, flow: rest } = violationsByState(fields, doc)
    setNodes((ns) => ns.map((n) => ({ ...n, data: { ...n.data, problems: states.get(n.id) ?? [] } })))
    setFlowProblems(rest)
    const count = fields.length
    setNotice({ kind: 'error', text: `${what}: ${count} ${count === 1 ? 'problem' : 'problems'}${states.size ? ', shown on the states' : ''}.` })
  }
  const clearProblems = () => {
    setNodes((ns) => (ns.some((n) => n.data.problems.length) ? ns.map((n) => ({ ...n, data: { ...n.data, problems: [] } })) : ns))
    setFlowProblems([])
  }

  /** saveDraft stores the graph as the flow's draft; false when the server refused it (the reasons are shown). */
  const saveDraft = async (quiet = false): Promise<boolean> => {
    const doc = document_()
    setNotice(null)
    try {
      await save.mutateAsync(doc)
      setDirty(false)
      clearProblems()
      if (!quiet) setNotice({ kind: 'success', text: 'Draft saved. Calls still follow the published version until you publish.' })
      return true
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showProblems(((e.body as { errors?: Violation[] })?.errors ?? []) as Violation[], doc, 'The draft was not saved')
      else setNotice({ kind: 'error', text: 'The draft was not saved: ' + message(e) })
      return false
    }
  }

  const doPublish = async () => {
    if (dirty && !(await saveDraft(true))) return
    const doc = document_()
    try {
      const f = await publish.mutateAsync()
      clearProblems()
      const numbers = f.numbers ?? []
      setNotice({
        kind: 'success',
        text: `Published version ${f.published_version}. ${numbers.length ? `Calls to ${numbers.join(', ')} follow it now.` : 'Link a number to it so that calls reach it.'}`,
      })
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showProblems(((e.body as { errors?: Violation[] })?.errors ?? []) as Violation[], doc, 'Not published')
      else setNotice({ kind: 'error', text: 'Not published: ' + message(e) })
    }
  }

  /** simulatedAt follows the simulated call on the canvas: its state is highlighted and brought into view. */
  const simulatedAt = useCallback(
    (sid: string | null) => {
      setSimAt(sid)
      const n = sid ? now.current.nodes.find((x) => x.id === sid) : undefined
      if (n) rf.fitView({ nodes: [n], padding: 1, maxZoom: 1, duration: 200 })
    },
    [rf],
  )

  const selected = nodes.find((n) => n.selected)
  const builder = useMemo<BuilderActions>(
    () => ({
      readOnly: false,
      directory: directory.data ?? { users: [], groups: [], media: [] },
      edit: (sid) => {
        select(sid)
        setSide({ kind: 'state' })
        requestAnimationFrame(() => panel.current?.querySelector<HTMLElement>('input, select, textarea')?.focus())
      },
      remove: removeState,
      addKey,
      removeEdge,
      simAt,
    }),
    [directory.data, select, removeState, addKey, removeEdge, simAt],
  )

  const status = flowStatus(flow)
  const current = flow
  return (
    <Builder.Provider value={builder}>
      <div className="builder">
        <div className="builder-head">
          <div className="builder-title">
            <Link to="/telephony/flows" className="back">
              ← Call flows
            </Link>
            <h2>{meta.name}</h2>
            <span className={'flow-status ' + (dirty ? 'changed' : status.kind)}>{dirty ? 'Unsaved changes' : status.label}</span>
          </div>
          <div className="builder-actions" role="toolbar" aria-label="Flow">
            <button type="button" onClick={undo} disabled={undoable === 0} title="Undo the last edit (Ctrl+Z)">
              Undo
            </button>
            <button type="button" onClick={tidy} disabled={nodes.length === 0}>
              Tidy up
            </button>
            <button type="button" onClick={() => setSettings(true)}>
              Name and numbers
            </button>
            <button type="button" onClick={() => setComparing(document_())} disabled={!current.published}>
              Compare with published
            </button>
            <button type="button" aria-pressed={side.kind === 'simulator'} onClick={() => setSide(side.kind === 'simulator' ? { kind: 'state' } : { kind: 'simulator' })}>
              Try a call
            </button>
            <button type="button" onClick={() => saveDraft()} disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save draft'}
            </button>
            <button type="button" className="primary" onClick={doPublish} disabled={publish.isPending || save.isPending}>
              {publish.isPending ? 'Publishing…' : 'Publish'}
            </button>
          </div>
        </div>
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        {flowProblems.length > 0 && (
          <ul className="flow-problems" aria-label="Problems with the flow">
            {flowProblems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div className="builder-body">
          <aside className="palette" aria-label="States to add">
            <h3>States</h3>
            <p className="hint">Drag one onto the canvas, or press it to add it.</p>
            <ul>
              {stateTypes.map((t) => (
                <li key={t.type}>
                  <button
                    type="button"
                    draggable
                    className={'palette-item ' + t.type}
                    data-palette={t.type}
                    onDragStart={(e) => {
                      e.dataTransfer.setData('application/x-pbx-state', t.type)
                      e.dataTransfer.effectAllowed = 'move'
                    }}
                    onClick={() => addFromPalette(t.type)}
                  >
                    <strong>{t.label}</strong>
                    <span>{t.hint}</span>
                  </button>
                </li>
              ))}
            </ul>
          </aside>
          <div className="flow-canvas" onDragOver={onDragOver} onDrop={onDrop}>
            {refused && (
              <div className="refusal" role="alert" data-refusal>
                <span>{refused}</span>
                <button type="button" className="icon" aria-label="Dismiss" onClick={() => setRefused('')}>
                  ×
                </button>
              </div>
            )}
            {nodes.length === 0 && <p className="canvas-hint">Drag Start from the states on the left to begin the flow.</p>}
            <ReactFlow<StateNode, ExitEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              edgeTypes={edgeTypes}
              defaultEdgeOptions={defaultEdgeOptions}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onNodeDragStart={() => remember()}
              onBeforeDelete={async () => {
                remember()
                return true
              }}
              onDelete={({ nodes: gone }) => gone.some((n) => n.id === simAt) && setSimAt(null)}
              deleteKeyCode={['Delete', 'Backspace']}
              minZoom={0.2}
              maxZoom={1.5}
              aria-label="Flow canvas"
            >
              <Background gap={16} />
              <Controls showInteractive={false} />
              {/* An empty flow keeps the view where it is: fitting it to the first state dropped would move the canvas under the mouse. */}
              {initial.nodes.length > 0 && <FitOnce />}
            </ReactFlow>
          </div>
          <div className="side-panel" ref={panel}>
            {side.kind === 'simulator' ? (
              <FlowSimulator
                api={api}
                flowId={current.id}
                dirty={dirty}
                saveDraft={() => saveDraft(true)}
                onAt={simulatedAt}
                onClose={() => {
                  setSimAt(null)
                  setSide({ kind: 'state' })
                }}
              />
            ) : selected ? (
              <StateEditor
                key={selected.id}
                node={selected}
                nodes={nodes}
                edges={edges}
                directory={directory.data}
                onChange={(next, key) => updateState(selected.id, next, key)}
                onKeys={(keys, renamed) => setKeys(selected.id, keys, renamed)}
                onAddKey={() => addKey(selected.id)}
                onConnect={(outcome, to) => {
                  const existing = now.current.edges.find((e) => e.source === selected.id && e.sourceHandle === outcome)
                  if (existing?.target === to) return
                  if (!to) {
                    if (existing) removeEdge(existing.id)
                    return
                  }
                  const others = now.current.edges.filter((e) => e.id !== existing?.id)
                  const reason = refusal({ from: selected.id, outcome, to }, links(others), typeOf)
                  if (reason) {
                    setRefused(reason)
                    return
                  }
                  remember()
                  setEdges([...others, toEdge(selected.id, outcome, to)])
                }}
                onDelete={() => removeState(selected.id)}
              />
            ) : (
              <div className="side-hint">
                <h3>Build the flow</h3>
                <ol>
                  <li>Drag states from the left onto the canvas, starting with Start.</li>
                  <li>Draw a connection from an exit on the right of a state (Next, Key 1, Timeout…) to the state the call goes to.</li>
                  <li>Select a state to edit its options; select a connection to delete it.</li>
                  <li>Save the draft, try a call through it, then publish it.</li>
                </ol>
                <p className="hint">Delete removes what is selected; Ctrl+Z undoes the last edit.</p>
              </div>
            )}
          </div>
        </div>
      </div>
      {settings && (
        <FlowSettings
          api={api}
          flowId={current.id}
          meta={meta}
          onClose={() => setSettings(false)}
          onSave={(m) => {
            remember()
            setMeta(m)
            setSettings(false)
          }}
        />
      )}
      {comparing && current.published && (
        <FlowCompare draft={comparing} published={current.published} version={current.published_version ?? 0} directory={builder.directory} onClose={() => setComparing(null)} />
      )}
    </Builder.Provider>
  )
}

function FlowSettings(props: { api: Api; flowId: number; meta: Meta; onClose: () => void; onSave: (m: Meta) => void }) {
  const numbers = useNumbers(props.api)
  const flows = useFlows(props.api)
  const [name, setName] = useState(props.meta.name)
  const [description, setDescription] = useState(props.meta.description)
  const [chosen, setChosen] = useState(props.meta.numbers)
  const [error, setError] = useState('')
  return (
    <Dialog title="Name and numbers" onClose={props.onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!name.trim()) {
            setError('A flow needs a name.')
            return
          }
          props.onSave({ name: name.trim(), description: description.trim(), numbers: chosen })
        }}
        noValidate
      >
        <div className="dialog-body">
          <Field label="Name" error={error}>
            {(a) => <input {...a} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Description">{(a) => <textarea {...a} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
          <NumberPicker numbers={numbers.data} flows={flows.data ?? []} chosen={chosen} onChange={setChosen} loading={numbers.isPending} flowId={props.flowId} />
          <p className="hint">The builder keeps these with the draft; save or publish to store them.</p>
        </div>
        <footer className="dialog-foot">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Apply
          </button>
        </footer>
      </form>
    </Dialog>
  )
}

