import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter } from 'react-router'
import { App } from './App'
import { Api, ApiError } from './api'
import './styles.css'

// Server state lives in TanStack Query: answers are cached and shared between
// pages, requests no longer needed are cancelled, and a refused request
// (4xx: the server has decided) is not tried again.
const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 2,
    },
  },
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <App api={new Api()} />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
)
